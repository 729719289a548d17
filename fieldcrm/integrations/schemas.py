"""What a PBX and a messenger gateway post, and what they get back. The bodies are read from
the raw bytes (the signature covers them), then validated here: a bad value is a 422 naming
its field."""

from __future__ import annotations

import re
import uuid
from typing import Literal
from urllib.parse import urlsplit

from ninja import Schema
from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from fieldcrm.core.schemas import Input

# A dialable number or extension as PBXs write it; "anonymous"/"unknown" for a hidden caller.
NUMBER = re.compile(r"[0-9+*#() .\-]{1,40}")
HIDDEN = {"anonymous", "unknown", "restricted", "private"}
MAX_DURATION_S = 7 * 24 * 3600


def _number(value: str) -> str:
    value = value.strip()
    if value.casefold() in HIDDEN:
        return value.casefold()
    if not NUMBER.fullmatch(value) or not re.search(r"\d", value):
        raise ValueError("a phone number or extension (digits, + * # ( ) . - and spaces)")
    return value


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an http:// or https:// address")
    return value


class CallEventIn(Input):
    # A PBX may send more than we read (its own channel ids, variables): ignored.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    event_id: str = Field(
        min_length=1, max_length=100, description="Unique per event: the same id again is a repeat"
    )
    event: Literal["ringing", "answered", "ended"]
    call_id: str = Field(
        min_length=1, max_length=100, description="The same for every event of a call"
    )
    direction: Literal["in", "out"] = "in"
    caller: str = Field(max_length=40, description="The calling number")
    callee: str = Field(max_length=40, description="The called number or extension")
    occurred_at: AwareDatetime = Field(description="When this event happened (with its zone)")
    started_at: AwareDatetime | None = None
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    duration_s: int | None = Field(
        None, ge=0, le=MAX_DURATION_S, description="Talk time in seconds (ended events)"
    )
    extension: str = Field("", max_length=40, description="The extension or number that answered")
    recording_url: str = Field("", max_length=1000, description="http(s) address of the recording")

    _numbers = field_validator("caller", "callee")(_number)

    @field_validator("extension")
    @classmethod
    def _extension(cls, value: str) -> str:
        return _number(value) if value else value

    @field_validator("recording_url")
    @classmethod
    def _recording(cls, value: str) -> str:
        return _web_url(value) if value else value


class CallEventOut(Schema):
    call: uuid.UUID
    state: str
    matched: bool
    account_id: uuid.UUID | None
    activity_id: uuid.UUID | None
    notified: int = Field(description="How many people this event told (a popup each)")


class MessageIn(Input):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    message_id: str = Field(
        min_length=1,
        max_length=200,
        description="Unique per message: the same id again is a repeat",
    )
    channel: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="e.g. whatsapp, telegram, zalo, viber",
    )
    sender_id: str = Field(
        min_length=1,
        max_length=100,
        description="The sender's number, or the messenger's id for them",
    )
    sender_name: str = Field("", max_length=200)
    text: str = Field(min_length=1, max_length=10_000)
    sent_at: AwareDatetime | None = None


class MessageOut(Schema):
    message: uuid.UUID
    account_id: uuid.UUID
    activity_id: uuid.UUID | None
    lead_created: bool
    notified: int
