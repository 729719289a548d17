"""Route-plan API shapes: GenerateIn, PlanJobOut, RoutePlanOut, RouteStopOut, moves and pins."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from fieldcrm.core.schemas import Input, Instant, LatLng
from fieldcrm.plans.models import PlanJob, PlanJobStatus, RoutePlan, RoutePlanStatus

# Plans are for the coming days and weeks; a date years ahead is a typo (9999-12-31 overflowed
# the day after it into a 500).
MAX_DAYS_AHEAD = 2 * 366


def _plannable(day: dt.date) -> dt.date:
    if day > dt.date.today() + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise ValueError(f"a date at most {MAX_DAYS_AHEAD} days ahead")
    return day


PlanDate = Annotated[dt.date, AfterValidator(_plannable)]


def job_progress(job: PlanJob) -> int:
    """Stored progress, or while a solve runs, an estimate from its start and time limit."""
    phase = job.result.get("phase") if job.status == PlanJob.Status.RUNNING else None
    if not phase:
        return job.progress
    share = min(0.99, max(0.0, (time.time() - phase["at"]) / max(0.1, phase["limit_s"])))
    return max(job.progress, int(phase["base"] + share * phase["span"]))


class GenerateIn(Input):
    region_id: int
    date: PlanDate
    horizon_days: int = Field(1, ge=1, le=20, description="Working days to plan from `date`.")
    time_limit_s: float | None = Field(default=None, ge=0.5, le=600, allow_inf_nan=False)
    provider: Literal["great_circle", "road", "osrm"] | None = None


class PlanJobOut(Schema):
    id: int
    region_id: int
    date: dt.date
    horizon_days: int
    status: PlanJobStatus
    progress: int
    message: str
    attempts: int
    result: dict[str, Any]
    plan_ids: list[int]
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_progress(obj: PlanJob) -> int:
        return job_progress(obj)

    @staticmethod
    def resolve_plan_ids(obj: PlanJob) -> list[int]:
        return sorted(p.pk for p in obj.plans.all())


class JobConflictOut(Schema):
    detail: str
    job_id: int | None


class RouteStopOut(Schema):
    id: int
    sequence: int
    account_id: uuid.UUID
    account_name: str
    lat: float | None
    lng: float | None
    visit_id: uuid.UUID | None
    arrival_at: dt.datetime
    start_at: dt.datetime
    departure_at: dt.datetime
    wait_s: int
    is_pinned: bool

    @staticmethod
    def resolve_account_name(obj) -> str:
        return obj.account.name

    @staticmethod
    def resolve_lat(obj) -> float | None:
        return obj.account.location.y if obj.account.location else None

    @staticmethod
    def resolve_lng(obj) -> float | None:
        return obj.account.location.x if obj.account.location else None


class RoutePlanOut(Schema):
    id: int
    rep_id: int
    rep_name: str
    region_id: int
    date: dt.date
    status: RoutePlanStatus
    distance_m: int
    drive_s: int
    work_s: int
    stats: dict[str, Any]
    published_at: dt.datetime | None
    stops: list[RouteStopOut]

    @staticmethod
    def resolve_rep_name(obj: RoutePlan) -> str:
        return obj.rep.display_name

    @staticmethod
    def resolve_stops(obj: RoutePlan) -> list:
        return list(obj.stops.all())


class PlanFilters(Input):
    rep_id: int | None = None
    date: dt.date | None = None
    region_id: int | None = None
    status: RoutePlanStatus | None = None


class CandidateFilters(Input):
    region_id: int
    date: PlanDate


class CandidateOut(Schema):
    account_id: str
    name: str
    lat: float | None
    lng: float | None
    territory_id: int | None
    reasons: list[str]
    score: int
    parts: dict[str, int]
    required: bool
    windows: list[tuple[int, int]]
    service_s: int


class StopMoveIn(Input):
    plan_id: int = Field(description="The draft plan (rep) to move the stop to.")
    position: int = Field(ge=1, le=1000, description="1 = first stop.")


class StopPinIn(Input):
    pinned: bool


class ReoptimiseIn(Input):
    region_id: int
    date: PlanDate
    time_limit_s: float = Field(5.0, ge=0.5, le=120, allow_inf_nan=False)


# --- The rep's route sheet (issue 19): synced to the phone, re-ordered there. ---


class RouteOrderItem(Schema):
    visit_id: uuid.UUID
    arrival_at: Instant


class RouteDroppedItem(Schema):
    visit_id: uuid.UUID
    # Why the phone's re-plan found the stop no longer fits (pwa/static/pwa/js/resequence.js).
    reason: Literal["closed", "shift_end", "break", "no_room", "skipped"]


class RouteSheetOut(Schema):
    id: uuid.UUID
    version: int
    plan_id: int
    date: dt.date
    day: dict[str, Any]
    order: list[RouteOrderItem]
    dropped: list[RouteDroppedItem]
    edited_by_rep_at: dt.datetime | None
    updated_at: dt.datetime


class RouteSheetCreate(Input):
    """Sheets are made by publishing a plan; a phone creates one only for the rep's own day
    ordered offline (issue 21: ``date``, ``order``, ``dropped``); anything else is refused."""

    date: dt.date | None = None
    order: list[RouteOrderItem] | None = Field(default=None, max_length=60)
    dropped: list[RouteDroppedItem] | None = Field(default=None, max_length=60)


class RouteSheetPatch(Input):
    order: list[RouteOrderItem] | None = Field(default=None, max_length=200)
    dropped: list[RouteDroppedItem] | None = Field(default=None, max_length=200)


class MyDayIn(Input):
    """The rep's "Add to today" (issue 21): accounts picked on the phone, and where the rep is."""

    account_ids: list[uuid.UUID] = Field(min_length=1, max_length=60)
    position: LatLng | None = None
