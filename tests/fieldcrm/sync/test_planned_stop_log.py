"""Issue 14, defect 2: logging a published stop on the phone completes that stop's visit (an
edit of the planned visit the phone pulled), exactly once, never a second visit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fieldcrm.accounts.models import Activity
from fieldcrm.plans.models import RoutePlan
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.fieldcrm.plans import conftest as plans
from tests.fieldcrm.sync.test_sync import op, pull_all, push

plannable, tomorrow = plans.plannable, plans.tomorrow  # fixtures: a small plannable day


@pytest.fixture
def published(as_user, world, plannable, tomorrow):
    """rep1's plan for tomorrow is published; rep1's phone has pulled its visits."""
    planner = as_user("planner")
    plans.generate(planner, world, tomorrow)
    plan = RoutePlan.objects.get(rep=world.rep1, date=tomorrow, status="draft")
    assert planner.post(f"plans/{plan.pk}/publish").status_code == 200
    changes, _cursor = pull_all(as_user("rep1"))
    return sorted(
        (v for v in changes["changes"]["visits"] if v["scheduled_on"] == tomorrow.isoformat()),
        key=lambda v: v["route_sequence"],
    )


ARRIVED = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
DONE = ARRIVED + dt.timedelta(minutes=20)


def _log(stop, **extra):
    """What the phone pushes when the rep logs ``stop`` from Today (an hour ago)."""
    at = ARRIVED.isoformat()
    changes = {
        "status": {"old": stop["status"], "new": "done"},
        "outcome": {"old": stop["outcome"], "new": "order"},
        "notes": {"old": stop["notes"], "new": "Two boxes"},
        "completed_at": {"old": None, "new": DONE.isoformat()},
        "check_in": {"old": None, "new": {"location": {"lat": 42.05, "lng": 1.05},
                                          "accuracy_m": 9, "at": at}},
        "next_step": {"old": None, "new": {"title": "Call about delivery", "due_at": None}},
    }  # fmt: skip
    return op("visit", "update", stop["id"], base_version=stop["version"], changes=changes, **extra)


def test_logging_a_published_stop_completes_its_planned_visit_exactly_once(
    as_user, world, published
):
    stop = published[0]
    visits_before = Visit.objects.count()
    log = _log(stop)
    [first] = push(as_user("rep1"), log)
    assert first["status"] == "applied", first
    assert first["id"] == stop["id"] and first["record"]["status"] == "done"
    visit = Visit.objects.get(pk=stop["id"])
    assert (visit.status, visit.outcome, visit.notes) == ("done", "order", "Two boxes")
    assert (visit.checked_in_at, visit.completed_at) == (ARRIVED, DONE)
    assert visit.check_in_accuracy_m == 9 and visit.distance_m is not None
    assert visit.account.last_visited_at == visit.completed_at
    # A retried push (the answer was lost) is answered again, not redone.
    [again] = push(as_user("rep1"), log)
    assert again["status"] == "already_applied"
    assert Visit.objects.count() == visits_before
    assert Activity.objects.filter(visit=visit, kind="visit").count() == 1
    assert Task.objects.filter(title="Call about delivery").count() == 1
    others = Visit.objects.filter(scheduled_on=stop["scheduled_on"]).exclude(pk=visit.pk)
    assert set(others.values_list("status", flat=True)) == {"planned"}


def test_a_stop_logged_offline_completes_even_if_a_republish_cancelled_it_meanwhile(
    as_user, world, published
):
    stop = published[1]
    visit = Visit.objects.get(pk=stop["id"])
    visit.status = Visit.Status.CANCELLED  # what a re-publish does to a stop it dropped
    visit.save()
    [result] = push(as_user("rep1"), _log(stop))
    assert result["status"] == "applied", result
    visit.refresh_from_db()
    assert (visit.status, visit.notes) == ("done", "Two boxes")


def test_a_stop_of_another_rep_cannot_be_logged(as_user, world, published):
    [result] = push(as_user("rep2"), _log(published[0]))
    assert result["status"] == "rejected"
    assert Visit.objects.get(pk=published[0]["id"]).status == "planned"
