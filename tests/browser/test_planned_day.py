"""Issue 14: a planned day on the phone holds together with the server's plan. A stop of a
published plan, logged offline on the phone, completes that stop's visit once synced."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fieldcrm.accounts.models import Activity
from fieldcrm.plans.models import RoutePlan
from fieldcrm.visits.models import Visit
from tests.fieldcrm.plans import conftest as plans

pytestmark = pytest.mark.browser

plannable = plans.plannable  # fixture: rep1 and rep2 with home bases, six accounts due


def test_a_published_stop_logged_offline_completes_its_own_visit_once_back_online(
    phones, as_user, world, plannable
):
    today = timezone.localdate()
    planner = as_user("planner")
    assert plans.generate(planner, world, today).json()["status"] == "done"
    plan = RoutePlan.objects.get(rep=world.rep1, date=today, status="draft")
    assert planner.post(f"plans/{plan.pk}/publish").status_code == 200
    stop = plan.stops.select_related("account").order_by("sequence").first()
    visits_before = Visit.objects.count()

    phone = phones()
    phone.login("rep1")  # the first sync brings today's route
    page = phone.page
    # Every stop of the published plan opens on the phone, with Navigate and Log visit.
    for each in plan.stops.select_related("account"):
        name = each.account.name
        assert page.get_by_role("link", name=f"Navigate to {name}", exact=True).count() == 1
        assert page.get_by_role("link", name=f"Log visit at {name}", exact=True).count() == 1
    phone.context.set_offline(True)
    page.locator("#net-status", has_text="Offline").wait_for()
    phone.log_visit(stop.account.name, "Order taken", "logged offline from the plan")
    phone.wait_pending(1)
    assert Visit.objects.get(pk=stop.visit_id).status == "planned"  # nothing left the phone
    today_list = page.get_by_role("list", name="Today's stops")
    today_list.get_by_text("Done").first.wait_for()
    assert page.get_by_role("link", name=f"Log visit at {stop.account.name}").count() == 0

    phone.synced_after(lambda: phone.context.set_offline(False))
    visit = Visit.objects.get(pk=stop.visit_id)
    assert (visit.status, visit.outcome, visit.notes) == (
        "done",
        "order",
        "logged offline from the plan",
    )
    assert visit.checked_in_at is not None and visit.check_in_accuracy_m == 12
    assert Visit.objects.count() == visits_before  # no second visit
    assert Activity.objects.filter(visit=visit).count() == 1
    others = Visit.objects.filter(rep=world.rep1, scheduled_on=today).exclude(pk=visit.pk)
    assert others.exists() and set(others.values_list("status", flat=True)) == {"planned"}
