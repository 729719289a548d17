"""Lead form shapes. The public endpoint takes form-encoded or JSON bodies alike."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict, EmailStr, Field, field_validator, model_validator

from fieldcrm.core.schemas import Input

HONEYPOT = "website_url"


class LeadIn(Input):
    # Forms on other sites carry extra fields (submit buttons, their own CSRF tokens): ignore.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field("", max_length=200, description="The person's name")
    company: str = Field("", max_length=200)
    email: EmailStr | None = None
    phone: str = Field("", max_length=40)
    address: str = Field("", max_length=300)
    message: str = Field("", max_length=5000)
    website_url: str = Field(
        "", max_length=2000, description="Honeypot: hidden from people; bots fill it in."
    )

    @field_validator("email", mode="before")
    @classmethod
    def _blank_email_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _someone(self) -> LeadIn:
        if not (self.name or self.company or self.website_url):
            raise ValueError("give a name or a company")
        return self


class LeadReceivedOut(Schema):
    received: bool
    message: str
