"""Issue 14, defect 9: a published plan can be taken back. Unpublishing removes from the rep's
day only what was not started (the phone drops it on its next sync); logged work stays."""

from __future__ import annotations

from fieldcrm.plans.models import RoutePlan
from fieldcrm.visits.models import Visit
from fieldcrm.visits.services import visit_check_in, visit_log
from tests.fieldcrm.plans.conftest import generate
from tests.fieldcrm.sync.test_sync import pull_all


def _published(as_user, world, day):
    planner = as_user("planner")
    generate(planner, world, day)
    plan = RoutePlan.objects.get(rep=world.rep1, date=day, status="draft")
    assert planner.post(f"plans/{plan.pk}/publish").status_code == 200
    visits = list(Visit.objects.filter(rep=world.rep1, scheduled_on=day).order_by("route_sequence"))
    return plan, visits


def test_unpublish_cancels_only_the_stops_not_yet_checked_in_or_logged(
    as_user, world, plannable, tomorrow
):
    plan, (logged, arrived, untouched) = _published(as_user, world, tomorrow)
    visit_log(actor=world.rep1, visit_id=logged.pk, data={"outcome": "order", "notes": "done"})
    here = {"location": {"lat": 42.05, "lng": 1.05}, "accuracy_m": 8}
    visit_check_in(actor=world.rep1, visit_id=arrived.pk, check_in=here)
    _changes, cursor = pull_all(as_user("rep1"))

    response = as_user("planner").post(f"plans/{plan.pk}/unpublish")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "draft"
    statuses = {v.pk: v.status for v in Visit.objects.filter(rep=world.rep1)}
    assert statuses == {logged.pk: "done", arrived.pk: "planned", untouched.pk: "cancelled"}
    # The phone learns it on its next pull, and Today drops what is cancelled.
    pulled, _cursor = pull_all(as_user("rep1"), cursor)
    assert {v["id"]: v["status"] for v in pulled["changes"]["visits"]} == {
        str(untouched.pk): "cancelled"
    }
    assert plan.stops.count() == 3  # the draft keeps every stop, ready to edit and publish

    assert as_user("planner").post(f"plans/{plan.pk}/publish").status_code == 200
    planned = Visit.objects.filter(rep=world.rep1, scheduled_on=tomorrow, status="planned")
    assert planned.count() == 2 and Visit.objects.get(pk=logged.pk).status == "done"


def test_only_a_published_plan_is_unpublished_and_only_by_planners(
    as_user, world, plannable, tomorrow
):
    plan, _visits = _published(as_user, world, tomorrow)
    assert as_user("rep1").post(f"plans/{plan.pk}/unpublish").status_code == 403
    assert as_user("planner").post(f"plans/{plan.pk}/unpublish").status_code == 200
    again = as_user("planner").post(f"plans/{plan.pk}/unpublish")
    assert again.status_code == 422
    assert again.json()["detail"][0]["loc"][-1] == "plan_id"
