"""Reports as ORM aggregates (the same on PostGIS and SpatiaLite), each from the caller's scope:
a manager gets their region's reps and territories, a rep themselves."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, DateField, Q
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
    """Done visits per rep per day (or ISO week), in the site's time zone."""
    when = Coalesce("completed_at", "checked_in_at")
    bucket = (
        TruncDate(when) if filters.period == "day" else TruncWeek(when, output_field=DateField())
    )
    qs = (
        scoped(Visit, actor)
        .filter(status=Visit.Status.DONE, rep__in=scoped(User, actor).values("pk"))
        .annotate(day=TruncDate(when), period_start=bucket)
    )
    if filters.rep is not None:
        qs = qs.filter(rep_id=filters.rep)
    if filters.date_from is not None:
        qs = qs.filter(day__gte=filters.date_from)
    if filters.date_to is not None:
        qs = qs.filter(day__lte=filters.date_to)
    rows = (
        qs.values("rep_id", "rep__first_name", "rep__last_name", "rep__username", "period_start")
        .annotate(count=Count("id"))
        .order_by("period_start", "rep__username", "rep_id")
    )
    return {
        "period": filters.period,
        "rows": [
            {
                "rep_id": r["rep_id"],
                "rep_name": _rep_name(
                    r["rep__first_name"], r["rep__last_name"], r["rep__username"]
                ),
                "period_start": r["period_start"],
                "count": r["count"],
            }
            for r in rows
        ],
    }


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
