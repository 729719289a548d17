"""Wire shapes of the sync protocol (push and pull)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from fieldcrm.core.schemas import Input

MAX_BATCH = 500


class Change(Input):
    old: Any = None
    new: Any = None


class Mutation(Input):
    op_id: uuid.UUID = Field(description="Client-generated; a retried push is answered, not redone")
    entity: str
    action: Literal["create", "update", "delete"]
    id: uuid.UUID = Field(description="The record's id (client-generated for creates)")
    base_version: int | None = Field(
        default=None, ge=1, description="The version an edit was based on"
    )
    fields: dict[str, Any] = Field(default_factory=dict, description="create: the new record")
    changes: dict[str, Change] = Field(
        default_factory=dict,
        description="update: per field, the value it was based on and the new one",
    )


EPOCH_DOC = (
    "The installation's sync epoch: a UUID that changes when the database is restored from a "
    "backup. Cursors count within one epoch."
)
KNOWN_EPOCH_DOC = (
    "The epoch this phone knows (from its last answer); omitted by a phone that knows none. "
    "Another than the server's: the push applies nothing (409 epoch_changed)."
)


class PushIn(Input):
    device_id: str = Field("", max_length=64)
    epoch: uuid.UUID | None = Field(None, description=KNOWN_EPOCH_DOC)
    # Items stay loose here so one malformed item is rejected alone, never the whole batch.
    mutations: list[dict[str, Any]] = Field(max_length=MAX_BATCH)


class FieldError(Schema):
    field: str
    msg: str


class FieldConflict(Schema):
    field: str
    server: Any
    yours: Any


class MutationResult(Schema):
    op_id: str | None
    status: Literal["applied", "already_applied", "conflict", "rejected"]
    entity: str | None = None
    id: str | None = None
    version: int | None = None
    record: dict[str, Any] | None = None
    conflicts: list[FieldConflict] = []
    errors: list[FieldError] = []


class PushOut(Schema):
    epoch: str = Field(description=EPOCH_DOC)
    results: list[MutationResult]
    cursor: int


class EpochChangedOut(Schema):
    """A push naming another epoch than the server's: nothing of it was applied. The phone
    adopts ``epoch``, sends its journal of acknowledged work again, then its outbox, and pulls
    from cursor 0."""

    detail: str
    code: Literal["epoch_changed"]
    epoch: str = Field(description=EPOCH_DOC)


class PullOut(Schema):
    epoch: str = Field(description=EPOCH_DOC)
    epoch_changed: bool = Field(
        False,
        description="The pull named another epoch: no rows, cursor 0; pull again from 0 "
        "(after sending the journal of acknowledged work again)",
    )
    cursor: int
    more: bool
    changes: dict[str, list[dict[str, Any]]]
    deleted: dict[str, list[str]]
    removed: dict[str, list[str]]


class TodayOut(Schema):
    epoch: str = Field(description=EPOCH_DOC)
    cursor: int
    changes: dict[str, list[dict[str, Any]]]
