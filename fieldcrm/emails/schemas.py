"""E-mail shapes."""

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Schema

from fieldcrm.core.schemas import Input


class EmailIn(Input):
    record_type: str = Field(
        description="account, contact, deal or order: the record it is sent from"
    )
    record_id: str
    contact_ids: list[uuid.UUID] | None = Field(
        None,
        description="the account's contacts to write to (a contact's page: that contact)",
        max_length=20,
    )
    subject: str = Field(max_length=1000)
    body: str = Field(max_length=200_000)
    attachment_ids: list[int] | None = Field(
        None, description="files of the account to send with it", max_length=10
    )
    pdf_language: Literal["en", "vi", "fa"] | None = Field(
        None, description="from an order or quote: its PDF in this language goes with it"
    )


class EmailOut(Schema):
    id: uuid.UUID
    direction: str
    status: str
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    deal_id: int | None
    activity_id: uuid.UUID | None
    message_id: str
    from_address: str
    to_address: str
    subject: str
    body: str
    created_at: dt.datetime
    error: str
    attachment_ids: list[int]

    @staticmethod
    def resolve_attachment_ids(obj: Any) -> list[int]:
        return [a.pk for a in obj.attachments.all()]


class LeadOut(Schema):
    account_id: uuid.UUID


class SuppressionIn(Schema):
    address: str = Field(max_length=254)
    detail: str = Field("", max_length=300)


class SuppressionOut(Schema):
    id: int
    address: str
    reason: str
    detail: str
    created_at: dt.datetime
    lifted_at: dt.datetime | None
