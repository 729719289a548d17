"""Reports as ORM aggregates (the same on PostGIS and SpatiaLite), each from the caller's scope:
a manager gets their region's reps and territories, a rep themselves."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, DateField, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.utils import timezone

from fieldcrm.access import scoped
from fieldcrm.accounts.models import Account
from fieldcrm.deals.models import Pipeline
from fieldcrm.deals.selectors import pipeline_board
from fieldcrm.reports.schemas import CoverageFilters, PipelineReportFilters, VisitsReportFilters
from fieldcrm.territories.models import Territory
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit


def _rep_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def visits_report(*, actor: User, filters: VisitsReportFilters) -> dict[str, Any]:
    """Per rep per day (or ISO week), in the site's time zone: the visits done (dated by when
    they were done), and planned versus done — the visits scheduled for the period (published
    route stops and booked visits, not cancelled) and how many of those are done."""
    week = filters.period == "week"
    reps = scoped(User, actor).values("pk")
    base = scoped(Visit, actor).filter(rep__in=reps)
    if filters.rep is not None:
        base = base.filter(rep_id=filters.rep)
    when = Coalesce("completed_at", "checked_in_at")
    done = base.filter(status=Visit.Status.DONE).annotate(
        day=TruncDate(when),
        period_start=TruncWeek(when, output_field=DateField()) if week else TruncDate(when),
    )
    planned = (
        base.filter(scheduled_on__isnull=False)
        .exclude(status=Visit.Status.CANCELLED)
        .annotate(
            day=F("scheduled_on"),
            period_start=TruncWeek("scheduled_on", output_field=DateField())
            if week else F("scheduled_on"),
        )
    )  # fmt: skip
    bounds = {"day__gte": filters.date_from, "day__lte": filters.date_to}
    within = {lookup: day for lookup, day in bounds.items() if day is not None}
    done, planned = done.filter(**within), planned.filter(**within)
    names = ("rep_id", "rep__first_name", "rep__last_name", "rep__username", "period_start")
    cells: dict[tuple[Any, ...], dict[str, Any]] = {}

    def cell(r: dict[str, Any]) -> dict[str, Any]:
        key = (r["period_start"], r["rep__username"], r["rep_id"])
        if key not in cells:
            cells[key] = {
                "rep_id": r["rep_id"],
                "rep_name": _rep_name(
                    r["rep__first_name"], r["rep__last_name"], r["rep__username"]
                ),
                "period_start": r["period_start"],
                "count": 0,
                "planned": 0,
                "planned_done": 0,
                "timed": 0,
                "time_on_site_s": 0,
            }
        return cells[key]

    # Time on site (issue 21): only visits with both a check-in and a check-out count; an
    # open one or one logged without them is not guessed at.
    timed = Q(checked_in_at__isnull=False, checked_out_at__isnull=False)
    spent = ExpressionWrapper(
        F("checked_out_at") - F("checked_in_at"), output_field=DurationField()
    )
    for r in (
        done.values(*names)
        .annotate(n=Count("id"), timed=Count("id", filter=timed), spent=Sum(spent, filter=timed))
        .order_by()
    ):
        c = cell(r)
        c["count"], c["timed"] = r["n"], r["timed"]
        c["time_on_site_s"] = round(r["spent"].total_seconds()) if r["spent"] else 0
    of_them_done = Count("id", filter=Q(status=Visit.Status.DONE))
    for r in planned.values(*names).annotate(n=Count("id"), d=of_them_done).order_by():
        c = cell(r)
        c["planned"], c["planned_done"] = r["n"], r["d"]
    return {"period": filters.period, "rows": [cells[k] for k in sorted(cells)]}


def pipeline_report(*, actor: User, filters: PipelineReportFilters) -> dict[str, Any]:
    """Per pipeline and stage: count, amount and probability-weighted amount of visible deals."""
    pipelines = scoped(Pipeline, actor).order_by("-is_default", "name", "id")
    if filters.pipeline is not None:
        pipelines = pipelines.filter(pk=filters.pipeline)
    ids = list(pipelines.values_list("pk", flat=True))
    return {"pipelines": [pipeline_board(actor=actor, pipeline_id=pk) for pk in ids]}


def coverage_report(*, actor: User, filters: CoverageFilters) -> dict[str, Any]:
    """Share of accounts with a desired frequency that were visited within it, per territory
    or per rep (through the rep's territories)."""
    covered = Q(last_visited_at__isnull=False, visit_due_at__gt=timezone.now())
    accounts = scoped(Account, actor).filter(visit_frequency_days__isnull=False)
    if filters.by == "territory":
        key, name = "territory_id", "territory__name"
        accounts = accounts.filter(territory__in=scoped(Territory, actor).values("pk"))
        order: tuple[str, ...] = ("territory__name", "territory_id")
    else:
        key, name = "territory__reps", "territory__reps__username"
        reps = scoped(User, actor).filter(role=User.Role.REP).values("pk")
        accounts = accounts.filter(territory__reps__in=reps)
        order = ("territory__reps__username", "territory__reps")
    rows = (
        accounts.values(key, name)
        .annotate(accounts=Count("id"), covered=Count("id", filter=covered))
        .order_by(*order)
    )
    return {
        "by": filters.by,
        "rows": [
            {
                "id": r[key],
                "name": r[name],
                "accounts": r["accounts"],
                "covered": r["covered"],
                "share": round(r["covered"] / r["accounts"], 4) if r["accounts"] else 0.0,
            }
            for r in rows
        ],
    }
