"""This week at a glance: the reports selectors, shaped for bar charts and tables.

The numbers come from fieldcrm.reports and fieldcrm.tasks (scoped there); this module only
arranges them: a rep x day grid, bars scaled to the largest value, the overdue tasks list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.manager.selectors import map_reps, person_name
from fieldcrm.reports.schemas import CoverageFilters, PipelineReportFilters, VisitsReportFilters
from fieldcrm.reports.selectors import coverage_report, pipeline_report, visits_report
from fieldcrm.tasks.schemas import TaskFilters
from fieldcrm.tasks.selectors import task_list, user_timezone
from fieldcrm.users.models import User

OVERDUE_LIST_LIMIT = 20


@dataclass(frozen=True)
class Bar:
    """One bar: `share` is 0..100 of the chart's largest value (or of 1 for shares)."""

    label: str
    value: float
    share: float
    text: str = ""
    note: str = ""  # a second line under the number (e.g. planned versus done)

    @property
    def rest(self) -> float:
        """The empty part of a column (a column is drawn from the bottom up)."""
        return round(100 - self.share, 1)


@dataclass
class Dashboard:
    week_start: dt.date
    days: list[dt.date]
    visit_rows: list[dict[str, Any]]  # {rep, cells: [Bar per day], total}
    visit_totals: list[Bar]
    coverage: list[Bar]
    pipelines: list[dict[str, Any]]  # {name, count, totals per currency, bars: [Bar]}
    overdue_by_rep: list[Bar]
    overdue: list[Any] = field(default_factory=list)
    overdue_count: int = 0


def bars(items: list[tuple[str, float]], *, text: str = "{value:g}") -> list[Bar]:
    """Bars scaled so the largest value fills the width (all zero: no bar drawn)."""
    top = max((v for _, v in items), default=0) or 1
    return [Bar(label, value, round(100 * value / top, 1), text.format(value=value))
            for label, value in items]  # fmt: skip


def week_of(*, actor: User, now: dt.datetime | None = None) -> list[dt.date]:
    """Monday to Sunday of the caller's current week, in their region's time zone."""
    today = (now or timezone.now()).astimezone(user_timezone(user=actor)).date()
    monday = today - dt.timedelta(days=today.weekday())
    return [monday + dt.timedelta(days=i) for i in range(7)]


def _visits(actor: User, days: list[dt.date]) -> tuple[list[dict[str, Any]], list[Bar]]:
    report = visits_report(
        actor=actor,
        filters=VisitsReportFilters(period="day", date_from=days[0], date_to=days[-1]),
    )
    counts: dict[tuple[int, dt.date], int] = {}
    plan: dict[tuple[int, dt.date], tuple[int, int]] = {}  # (planned done, planned)
    names: dict[int, str] = {}
    spent: dict[int, tuple[int, int]] = {}  # rep → (timed visits, seconds on site)
    for row in report["rows"]:
        key = (row["rep_id"], row["period_start"])
        counts[key] = row["count"]
        timed, seconds = spent.get(row["rep_id"], (0, 0))
        spent[row["rep_id"]] = (timed + row["timed"], seconds + row["time_on_site_s"])
        if row["planned"]:
            plan[key] = (row["planned_done"], row["planned"])
        names[row["rep_id"]] = row["rep_name"]
    for pk, first, last, username in map_reps(actor=actor).values_list(
        "pk", "first_name", "last_name", "username"
    ):
        names.setdefault(pk, person_name(first, last, username))
    top = max(counts.values(), default=0) or 1
    rows: list[dict[str, Any]] = []
    for rep_id, name in sorted(names.items(), key=lambda item: item[1].lower()):
        values = [counts.get((rep_id, day), 0) for day in days]
        cells = [
            Bar(day.isoformat(), v, round(100 * v / top, 1), str(v),
                _planned_note(*plan[(rep_id, day)]) if (rep_id, day) in plan else "")
            for day, v in zip(days, values, strict=True)
        ]  # fmt: skip
        planned = [plan[(rep_id, day)] for day in days if (rep_id, day) in plan]
        rows.append({
            "rep": name, "cells": cells, "total": sum(values),
            "planned": _planned_note(sum(d for d, _ in planned), sum(n for _, n in planned))
            if planned else "",
            "on_site": _on_site_note(*spent[rep_id]) if spent.get(rep_id, (0, 0))[0] else "",
        })  # fmt: skip
    return rows, bars([(r["rep"], r["total"]) for r in rows])


def _on_site_note(timed: int, seconds: int) -> str:
    """The week's time on site of a rep's checked-out visits: the average per visit."""
    return _("%(minutes)s min on site per visit") % {"minutes": round(seconds / timed / 60)}


def _planned_note(done: int, planned: int) -> str:
    return _("%(done)s of %(planned)s planned done") % {"done": done, "planned": planned}


def _coverage(actor: User) -> list[Bar]:
    rows = coverage_report(actor=actor, filters=CoverageFilters(by="territory"))["rows"]
    return [Bar(r["name"], r["share"], round(100 * r["share"], 1),
                f"{round(100 * r['share'])} % ({r['covered']}/{r['accounts']})")
            for r in rows]  # fmt: skip


def _pipelines(actor: User) -> list[dict[str, Any]]:
    boards = pipeline_report(actor=actor, filters=PipelineReportFilters())["pipelines"]
    return [
        {
            "name": board["name"],
            "count": board["count"],
            "totals": board["totals"],  # one per currency, never added across them
            "bars": bars([(s["name"], s["count"]) for s in board["stages"]]),
            "stages": board["stages"],
        }
        for board in boards
    ]


def _overdue(actor: User) -> tuple[list[Any], int, list[Bar]]:
    qs = task_list(actor=actor, filters=TaskFilters(overdue=True))
    per_rep = (
        qs.order_by()
        .values("assignee__first_name", "assignee__last_name", "assignee__username")
        .annotate(n=Count("pk"))
    )
    items = sorted(
        (
            (person_name(r["assignee__first_name"], r["assignee__last_name"],
                         r["assignee__username"]), r["n"])
            for r in per_rep
        ),
        key=lambda item: (-item[1], item[0].lower()),
    )  # fmt: skip
    listed = list(qs.select_related("assignee", "account")[:OVERDUE_LIST_LIMIT])
    return listed, sum(n for _, n in items), bars(items)


def dashboard(*, actor: User, now: dt.datetime | None = None) -> Dashboard:
    """This week at a glance for the caller's scope (a manager: their regions)."""
    days = week_of(actor=actor, now=now)
    visit_rows, visit_totals = _visits(actor, days)
    overdue, overdue_count, overdue_by_rep = _overdue(actor)
    return Dashboard(
        week_start=days[0],
        days=days,
        visit_rows=visit_rows,
        visit_totals=visit_totals,
        coverage=_coverage(actor),
        pipelines=_pipelines(actor),
        overdue_by_rep=overdue_by_rep,
        overdue=overdue,
        overdue_count=overdue_count,
    )
