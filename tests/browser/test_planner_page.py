"""/planner/ in headless Chromium, as a planner uses it: the day generated is the day shown."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from fieldcrm.plans.models import PlanJob, RoutePlan
from tests.fieldcrm.plans import conftest as plans

# The plans suite's small plannable world, as fixtures of this module too.
plannable, tomorrow = plans.plannable, plans.tomorrow

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(laptops, world):
    """A planner's laptop, logged in on /planner/."""
    return laptops("planner", "/planner/")


def test_generate_plans_the_date_shown_in_the_field_not_the_one_loaded(
    desk, live_server, world, plannable, tomorrow
):
    later = tomorrow + dt.timedelta(days=2)
    desk.goto(f"{live_server.url}/planner/?region={world.north.pk}&date={tomorrow}")
    desk.get_by_label("Date").fill(later.isoformat())
    desk.get_by_label("Time limit (s)").fill("1")
    desk.get_by_role("button", name="Generate plans").click()
    desk.wait_for_url(re.compile(rf"date={later}"))
    assert desk.get_by_label("Date").input_value() == later.isoformat()
    assert list(PlanJob.objects.values_list("date", flat=True)) == [later]
    drafts = RoutePlan.objects.filter(status="draft")
    assert set(drafts.values_list("date", flat=True)) == {later}
    # The page now shows that day's drafts, ready to publish.
    assert desk.locator("[data-publish]").count() == drafts.count() == 2


def test_publish_and_unpublish_ask_first_and_progress_is_shown_as_reported(
    desk, live_server, world, plannable, tomorrow
):
    desk.goto(f"{live_server.url}/planner/?region={world.north.pk}&date={tomorrow}")
    desk.get_by_label("Time limit (s)").fill("1")
    held = []
    desk.route("**/api/v1/plans/generate", lambda route: held.append(route))  # held back
    desk.get_by_role("button", name="Generate plans").click()
    desk.wait_for_function("() => document.getElementById('pl-progress').hidden === false")
    # Reported progress (0 so far), not an indeterminate bar.
    assert desk.locator("#pl-progress").evaluate("p => p.hasAttribute('value') && p.value") == 0
    held[0].continue_()
    desk.unroute("**/api/v1/plans/generate")
    desk.locator("[data-publish]").first.wait_for()

    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    desk.once("dialog", lambda d: answer(d, False))
    desk.get_by_role("button", name="Publish all drafts").click()
    assert asked == ["Publish 2 plans? Each rep sees theirs on the phone at the next sync."]
    assert not RoutePlan.objects.filter(status="published").exists()

    desk.once("dialog", lambda d: answer(d, True))
    with desk.expect_navigation():
        desk.get_by_role("button", name="Publish all drafts").click()
    assert RoutePlan.objects.filter(status="published").count() == 2

    desk.once("dialog", lambda d: answer(d, True))
    with desk.expect_navigation():
        desk.locator(f"[data-unpublish][data-rep='{world.rep1.display_name}']").click()
    assert asked[-1].startswith(f"Unpublish the plan of {world.rep1.display_name}?")
    assert set(RoutePlan.objects.values_list("rep__username", "status")) == {
        ("rep1", "draft"),
        ("rep2", "published"),
    }
