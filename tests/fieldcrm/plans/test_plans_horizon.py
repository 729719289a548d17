"""Horizon mode: every account due in the next N working days is visited within its cadence."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fieldcrm.plans.models import RoutePlan, RouteStop
from fieldcrm.plans.planning import Candidate, assign_days
from tests.factories import make_account
from tests.fieldcrm.plans.conftest import generate


def _cand(i: int, due: dt.date, freq: int = 14, territory: int = 1) -> Candidate:
    return Candidate(
        account_id=str(i), name=f"a{i}", location=(42.0, 1.0), territory_id=territory,
        reasons=["due"], score=10, parts={}, service_s=600, due_on=due, frequency_days=freq,
    )  # fmt: skip


def test_assign_days_puts_each_visit_on_or_before_its_due_day_and_balances():
    days = [dt.date(2030, 1, 7) + dt.timedelta(days=i) for i in range(5)]
    cands = [_cand(i, days[i % 5]) for i in range(20)]
    by_day = assign_days(cands, days, dict.fromkeys(days, 6))
    placed = {c.account_id: d for d, cs in by_day.items() for c in cs}
    assert len(placed) == 20
    assert all(placed[c.account_id] <= c.due_on for c in cands)
    assert max(len(cs) for cs in by_day.values()) <= 6


def test_frequent_accounts_recur_within_the_horizon():
    days = [dt.date(2030, 1, 7) + dt.timedelta(days=i) for i in range(10)]
    by_day = assign_days([_cand(1, days[0], freq=3)], days, dict.fromkeys(days, 5))
    visits = sorted(d for d, cs in by_day.items() for _c in cs)
    assert len(visits) >= 3
    assert all((b - a).days <= 3 for a, b in zip(visits, visits[1:], strict=False))


def test_horizon_job_plans_several_days_and_reports_cadence(as_user, world, plannable, tomorrow):
    soon = timezone.now() - dt.timedelta(days=12)  # due in two days (frequency 14)
    for i in range(4):
        account = make_account(f"Soon {i}", lng=1.03 + i * 0.04, lat=42.06, status="customer",
                               visit_frequency_days=14)  # fmt: skip
        account.last_visited_at = soon
        account.save()
    job = generate(as_user("planner"), world, tomorrow, horizon_days=3, time_limit_s=1.5).json()
    assert job["status"] == "done", job
    assert job["horizon_days"] == 3 and len(job["result"]["days"]) == 3
    planned = RouteStop.objects.filter(plan__status="draft").values_list("account__name", flat=True)
    assert {f"Soon {i}" for i in range(4)} <= set(planned)
    assert (
        RoutePlan.objects.filter(status="draft").order_by().values("date").distinct().count() >= 2
    )
    cadence = job["result"]["cadence"]
    assert {t["name"] for t in cadence["territories"]} == {"A", "B"}
    assert all(r["share"] == 1.0 for r in cadence["reps"])
