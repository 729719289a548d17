"""Task API shapes: TaskIn, TaskPatch, TaskOut, TaskFilters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from ninja import Schema
from pydantic import Field

from fieldcrm.core.schemas import Input, Instant
from fieldcrm.tasks.models import Task, TaskKind

UserId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class TaskIn(Input):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (optional).")
    title: str = Field(min_length=1, max_length=200)
    kind: TaskKind = Task.Kind.CALL
    notes: str = Field("", max_length=5000)
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = Field(
        default=None, description="The contact it is about (its account is then the task's)."
    )
    deal_id: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="The deal it is about (ditto)."
    )
    assignee_id: int | None = Field(
        default=None, description="Default: you. A rep assigns only to self."
    )
    due_at: Instant | None = None
    ends_at: Instant | None = Field(default=None, description="A meeting's end (after due_at).")
    location: str = Field("", max_length=300, description="Where a meeting is.")
    attendee_ids: list[UserId] = Field(
        default_factory=list, max_length=50,
        description="A meeting's attendees besides its assignee (users in your scope).",
    )  # fmt: skip


class TaskPatch(Input):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    kind: TaskKind | None = None
    notes: str | None = Field(default=None, max_length=5000)
    assignee_id: int | None = None
    due_at: Instant | None = None
    ends_at: Instant | None = None
    location: str | None = Field(default=None, max_length=300)
    attendee_ids: list[UserId] | None = Field(default=None, max_length=50)


class TaskOut(Schema):
    id: uuid.UUID
    title: str
    kind: str
    notes: str
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    deal_id: int | None
    assignee_id: int
    created_by_id: int | None
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    ends_at: dt.datetime | None
    location: str
    attendee_ids: list[int]
    is_done: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_attendee_ids(obj: Task) -> list[int]:
        return sorted(user.pk for user in obj.attendees.all())


class TaskFilters(Input):
    mine: bool | None = Field(default=None, description="Only tasks assigned to you")
    due_today: bool | None = Field(default=None, description="Open and due today in your time zone")
    overdue: bool | None = Field(default=None, description="Open and due before now")
    done: bool | None = None
    assignee: int | None = None
    account: uuid.UUID | None = None
