"""Issue 19's proof: the rep is 40 minutes late at stop 3, offline; the phone re-plans the rest
of today (two stops move, one no longer fits, and says why), the rep accepts, and once the
phone is online and synced the planner's page shows the rep's order, marked as theirs.

The phone's clock is set (Playwright's ``page.clock``), never waited for."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from fieldcrm.plans.models import RoutePlan, RouteStop
from fieldcrm.visits.models import Visit
from tests.factories import make_account

pytestmark = pytest.mark.browser

EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(closes: str) -> dict:
    return {day: [["08:00", closes]] for day in EVERY_DAY}


# Stop, planned arrival, closing time (None: open all day). Visits last 30 minutes, and the
# shops are a street apart (seconds of driving), so the opening hours decide the order.
STOPS = [
    ("Stop 1 Bakery", "08:30", None),
    ("Stop 2 Florist", "09:30", None),
    ("Stop 3 Kiosk", "11:00", None),
    ("Stop 4 Pharmacy", "11:30", "12:30"),  # must start by 12:00
    ("Stop 5 Butcher", "12:00", "12:00"),  # must start by 11:30: at 11:40 it is too late
    ("Stop 6 Café", "12:30", None),
    ("Stop 7 Bank", "13:00", "13:00"),  # must start by 12:30
]


@pytest.fixture
def late_day(world, as_user):
    """rep1's published route of today; stops 1 and 2 are done."""
    tz = ZoneInfo(world.north.timezone)
    today = timezone.localdate(timezone=tz)
    world.rep1.home_base = Point(1.050, 42.050, srid=4326)
    world.rep1.break_minutes, world.rep1.break_start, world.rep1.break_end = 0, None, None
    world.rep1.save()
    plan = RoutePlan.objects.create(rep=world.rep1, region=world.north, date=today)
    for n, (name, at, closes) in enumerate(STOPS, start=1):
        shop = make_account(
            name, lng=1.050 + n * 0.001, lat=42.050, status="customer",
            opening_hours=_hours(closes) if closes else {},
        )  # fmt: skip
        arrival = dt.datetime.combine(today, dt.time.fromisoformat(at), tzinfo=tz)
        RouteStop.objects.create(
            plan=plan, sequence=n, account=shop, arrival_at=arrival, start_at=arrival,
            departure_at=arrival + dt.timedelta(minutes=30),
        )  # fmt: skip
    assert as_user("planner").post(f"plans/{plan.pk}/publish").status_code == 200
    for stop in plan.stops.order_by("sequence")[:2]:
        visit = stop.visit
        visit.status, visit.completed_at = Visit.Status.DONE, stop.departure_at
        visit.save()
    return plan, today, tz


def test_late_at_stop_3_offline_the_rep_accepts_a_replan_the_planner_then_sees(
    phones, laptops, world, late_day
):
    plan, today, tz = late_day
    phone = phones(timezone_id=world.north.timezone)
    page = phone.page
    # 11:40: stop 3 was planned for 11:00.
    page.clock.install(time=dt.datetime.combine(today, dt.time(11, 40), tzinfo=tz))
    phone.login("rep1")
    phone.context.set_offline(True)
    page.locator("#net-status", has_text="Offline").wait_for()
    page.goto(f"{phone.base}/app/#/today")
    offer = page.get_by_role("region", name="Re-plan the rest of today")
    offer.get_by_text("You are 40 min behind the plan.").wait_for()
    offer.get_by_role("button", name="Re-plan the rest of today").click()

    new_order = offer.get_by_role("list", name="New order")
    new_order.wait_for()
    names = new_order.locator(".stop-name").all_inner_texts()
    moved = new_order.locator(".replan-moved .stop-name").all_inner_texts()
    assert len(moved) == 2, (names, moved)
    assert names[:2] == ["Stop 4 Pharmacy", "Stop 7 Bank"], names  # the early closers first
    assert set(names[2:]) == {"Stop 3 Kiosk", "Stop 6 Café"}
    gone = offer.get_by_role("list", name="No longer fits today")
    assert gone.inner_text().strip() == "Stop 5 Butcher — closed by the time you could get there"
    assert int(offer.get_attribute("data-engine-ms") or 0) >= 0

    offer.get_by_role("button", name="Accept").click()
    phone.wait_pending(1)
    today_list = page.get_by_role("list", name="Today's stops")
    today_list.get_by_text("No longer fits").wait_for()
    assert page.get_by_role("region", name="Re-plan the rest of today").count() == 0

    phone.synced_after(lambda: phone.context.set_offline(False))
    plan.refresh_from_db()
    assert plan.stats["edited_by_rep"]["rep_id"] == world.rep1.pk
    expected = ["Stop 1 Bakery", "Stop 2 Florist", *names, "Stop 5 Butcher"]
    assert [s.account.name for s in plan.stops.order_by("sequence")] == expected

    desk = laptops(
        "planner", f"/planner/?region={world.north.pk}&date={today}",
        timezone_id=world.north.timezone,
    )  # fmt: skip
    section = desk.locator(f'section[data-plan="{plan.pk}"]')
    section.get_by_text("Re-planned by the rep").wait_for()
    rows = section.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert rows == expected
