"""Who to visit: due by frequency, open visit tasks, new leads, booked appointments; scores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.plans.planning import candidates_for, score
from fieldcrm.tasks.models import Task
from tests.factories import make_account


def test_score_is_the_sum_of_readable_parts():
    points, parts = score(tier="A", overdue_days=5, open_value=12_500, has_task=True,
                          new_lead=False)  # fmt: skip
    assert parts == {"tier": 40, "overdue": 10, "deals": 12, "task": 10, "new_lead": 0}
    assert points == 72
    capped, _ = score(tier="A", overdue_days=99, open_value=1e9, has_task=True, new_lead=True)
    assert capped == 99


def test_candidates_are_due_accounts_tasks_and_new_leads_only(world, tomorrow):
    now = timezone.now()
    due = make_account("Due", status="customer", visit_frequency_days=7)
    due.last_visited_at = now - dt.timedelta(days=10)
    due.save()
    fresh = make_account("Fresh", status="customer", visit_frequency_days=30)
    fresh.last_visited_at = now - dt.timedelta(days=2)
    fresh.save()
    make_account("New lead", status="lead")
    tasked = make_account("Tasked", status="prospect")
    Task.objects.create(title="Drop by", kind="visit", account=tasked, assignee=world.rep1)
    make_account("Churned", status="customer", visit_frequency_days=7).save()
    got = {c.name: c for c in candidates_for(world.north, tomorrow)}
    assert set(got) >= {"Due", "New lead", "Tasked"} and "Fresh" not in got
    assert got["Due"].reasons == ["due"] and got["Due"].parts["overdue"] == 2 * 4
    assert "task" in got["Tasked"].reasons and got["Tasked"].parts["task"] == 10
    assert got["New lead"].parts["new_lead"] == 15


def test_open_deal_value_raises_the_score(world, tomorrow):
    account = make_account("Big deal", status="lead")
    pipeline = Pipeline.objects.create(name="Sales")
    stage = Stage.objects.create(pipeline=pipeline, name="Proposal", position=1)
    Deal.objects.create(account=account, name="x", pipeline=pipeline, stage=stage,
                        amount=Decimal("7300"))  # fmt: skip
    got = {c.name: c for c in candidates_for(world.north, tomorrow)}
    assert got["Big deal"].parts["deals"] == 7


def test_opening_hours_become_windows_that_leave_time_for_the_visit(world, tomorrow):
    day = tomorrow.strftime("%a").lower()
    make_account("Shop", status="lead", tier="B",
                 opening_hours={day: [["09:00", "12:00"], ["14:00", "18:00"]]})  # fmt: skip
    other_day = "sun" if day != "sun" else "mon"
    make_account("Closed", status="lead", opening_hours={other_day: [["09:00", "10:00"]]})
    got = {c.name: c for c in candidates_for(world.north, tomorrow)}
    h, service = 3600, 20 * 60
    assert got["Shop"].windows == ((9 * h, 12 * h - service), (14 * h, 18 * h - service))
    assert got["Closed"].windows == ((0, -1),)  # closed that day: the planner drops it


def test_candidates_api_lists_scores_for_planners_only(as_user, world, tomorrow):
    make_account("New lead", status="lead")
    url = f"plans/candidates?region_id={world.north.pk}&date={tomorrow}"
    body = as_user("planner").get(url).json()
    assert body[0]["name"] == "New lead" and body[0]["parts"]["new_lead"] == 15
    assert as_user("rep1").get(url).status_code == 404
    other = f"plans/candidates?region_id={world.south.pk}&date={tomorrow}"
    assert as_user("planner").get(other).status_code == 404


def test_the_shortlist_keeps_required_visits_and_the_best_scores():
    from fieldcrm.plans.planning import CANDIDATES_PER_SLOT, Candidate, shortlist
    from routing import Location, TimeWindow, Vehicle

    def cand(i, score, required=False):
        return Candidate(
            account_id=f"a{i:03}", name="", location=(42.0, 1.0), territory_id=None, reasons=[],
            score=score, parts={}, service_s=600, required=required,
        )  # fmt: skip

    rep = Vehicle(id="1", start=Location(42.0, 1.0), shift=TimeWindow(0, 3600), max_visits=2)
    cands = [cand(i, i % 50) for i in range(100)] + [cand(999, 0, required=True)]
    kept, cut = shortlist(cands, [rep])
    assert len(kept) == 2 * CANDIDATES_PER_SLOT and kept[0].account_id == "a999"
    assert min(c.score for c in kept[1:]) >= max(c.score for c in cut)
