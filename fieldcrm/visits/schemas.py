"""Visit API shapes: VisitIn (create), VisitPatch, VisitLogIn, CheckInIn, VisitOut, VisitFilters."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field, model_validator

from fieldcrm.core.schemas import Input, Instant, LatLng, LocalTime
from fieldcrm.tasks.models import Task, TaskKind
from fieldcrm.visits.models import Visit, VisitOutcome, VisitStatus

# A check-in farther than this (plus the GPS accuracy) from the account is flagged.
FAR_CHECK_IN_M = 200.0


class CheckInIn(Input):
    location: LatLng | None = Field(
        description="The GPS fix's position; null: the rep checked in without one (the "
        "position is recorded as missing)."
    )
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    at: Instant | None = Field(default=None, description="When the rep checked in; default now.")
    fix_at: Instant | None = Field(
        default=None, description="When the GPS fix was taken (the fix's own time)."
    )

    @model_validator(mode="after")
    def _fix_needs_its_position(self) -> CheckInIn:
        if self.location is None and (self.accuracy_m is not None or self.fix_at is not None):
            raise ValueError("accuracy_m and fix_at describe a GPS fix: send its location too")
        return self


class NextStepIn(Input):
    title: str = Field(min_length=1, max_length=200)
    kind: TaskKind = Task.Kind.CALL
    due_at: Instant | None = None
    notes: str = Field("", max_length=5000)


class VisitIn(Input):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (optional).")
    account_id: uuid.UUID
    rep_id: int | None = Field(
        default=None, description="Default: you (a rep may only name themselves)."
    )
    scheduled_on: dt.date | None = None
    is_required: bool = False
    window_start: LocalTime | None = None
    window_end: LocalTime | None = None
    check_in: CheckInIn | None = None
    checked_out_at: Instant | None = Field(
        default=None, description="When the rep left (after the check-in): the time on site."
    )
    notes: str = Field("", max_length=20_000)


class VisitPatch(Input):
    status: VisitStatus | None = None
    outcome: VisitOutcome | None = None
    notes: str | None = Field(default=None, max_length=20_000)
    scheduled_on: dt.date | None = None
    window_start: LocalTime | None = None
    window_end: LocalTime | None = None
    check_in: CheckInIn | None = None
    checked_out_at: Instant | None = Field(
        default=None, description="When the rep left (after the check-in): the time on site."
    )


class VisitLogIn(Input):
    outcome: VisitOutcome = Visit.Outcome.NONE
    notes: str = Field("", max_length=20_000)
    completed_at: Instant | None = Field(default=None, description="Default now.")
    check_in: CheckInIn | None = None
    checked_out_at: Instant | None = Field(
        default=None, description="When the rep left (after the check-in): the time on site."
    )
    next_step: NextStepIn | None = Field(default=None, description="Creates a follow-up task.")


class VisitOut(Schema):
    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    rep_id: int
    status: str
    scheduled_on: dt.date | None
    is_required: bool
    window_start: LocalTime | None
    window_end: LocalTime | None
    route_sequence: int | None
    planned_arrival_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    check_in_location: LatLng | None
    check_in_accuracy_m: float | None
    check_in_fix_at: dt.datetime | None = Field(
        description="When the check-in's GPS fix was taken; null with no position."
    )
    distance_m: float | None
    is_far: bool | None = Field(
        description=f"Checked in more than {FAR_CHECK_IN_M:.0f} m (plus GPS accuracy) away."
    )
    checked_out_at: dt.datetime | None
    time_on_site_s: int | None = Field(
        description="Seconds from check-in to check-out; null while the visit is open."
    )
    completed_at: dt.datetime | None
    outcome: str
    notes: str
    clock_skew: bool = Field(
        description="The phone's clock was over a day ahead: its time was replaced by the "
        "moment the server received the visit."
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_account_name(obj: Visit) -> str:
        return obj.account.name

    @staticmethod
    def resolve_check_in_location(obj: Visit) -> dict[str, float] | None:
        return LatLng.from_point(obj.check_in_location)

    @staticmethod
    def resolve_time_on_site_s(obj: Visit) -> int | None:
        spent = obj.time_on_site
        return None if spent is None else round(spent.total_seconds())

    @staticmethod
    def resolve_distance_m(obj: Visit) -> float | None:
        return None if obj.distance_m is None else round(obj.distance_m, 1)

    @staticmethod
    def resolve_is_far(obj: Visit) -> bool | None:
        if obj.distance_m is None:
            return None
        return obj.distance_m > FAR_CHECK_IN_M + (obj.check_in_accuracy_m or 0)


class VisitFilters(Input):
    rep: int | None = None
    account: uuid.UUID | None = None
    status: list[VisitStatus] | None = None
    date_from: dt.date | None = Field(
        default=None, description="Scheduled (or checked in) on or after"
    )
    date_to: dt.date | None = Field(
        default=None, description="Scheduled (or checked in) on or before"
    )
