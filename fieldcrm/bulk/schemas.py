"""Bulk change shapes: a request (field, value, accounts), its preview, the recorded change."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from fieldcrm.bulk.fields import MAX_ACCOUNTS
from fieldcrm.core.schemas import Input


class BulkTagsIn(Input):
    """tags: add or remove existing tags (by name) on every account of the selection."""

    op: Literal["add", "remove"]
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=20
    )


# An owner is a user id (a whole number, true/false refused), tags an operation and names, the
# other fields take a choice.
BulkValue = (
    Annotated[int, Field(ge=1, strict=True)]
    | Annotated[str, Field(max_length=32)]
    | BulkTagsIn
    | None
)


class BulkChangeIn(Input):
    field: Literal["owner", "status", "tier", "tags"] = Field(
        description="The account field to set"
    )
    value: BulkValue = Field(
        description="owner: a rep's user id, or null for none; status, tier: a choice value; "
        'tags: {"op": "add" or "remove", "tags": [existing tag names]}'
    )
    account_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_ACCOUNTS)


class BulkUndoIn(Input):
    id: int | None = Field(
        default=None, ge=1, description="The change you mean to undo: refused unless your last"
    )


class BulkAccountOut(Schema):
    id: str
    name: str


class BulkItemOut(BulkAccountOut):
    from_display: str
    warnings: list[str]


class BulkRefusedOut(BulkAccountOut):
    reason: str


class BulkTagsOut(Schema):
    op: str
    tags: list[str]


class BulkPreviewOut(Schema):
    field: str
    field_label: str
    value: int | str | BulkTagsOut | None
    value_display: str
    count: int = Field(description="How many accounts would change")
    changes: list[BulkItemOut]
    unchanged: list[BulkAccountOut]
    refused: list[BulkRefusedOut]


class BulkChangeOut(Schema):
    id: int
    field: str
    field_label: str
    value: int | str | BulkTagsOut | None
    value_display: str
    created_at: dt.datetime
    count: int = Field(description="How many accounts it changed")
    accounts: list[BulkAccountOut]
    refused: list[BulkRefusedOut]
    undone_at: dt.datetime | None
    restored: int = Field(description="How many the undo put back")
    undo_skipped: list[BulkRefusedOut]
