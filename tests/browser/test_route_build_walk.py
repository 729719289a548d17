"""Issue 21's proof for building today's route on the phone, at 360×640, offline.

The rep searches an account in the list and ticks it, lassoes four more on the accounts map
(a sixth stays out of the ring), adds the five to today: the phone orders them with its own
re-sequencer (no route was published today). Online again, the five visits and the day reach
the server once, as the rep's own plan in the phone's order, and the planner's page shows it
as the rep's own route.
"""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from fieldcrm.plans.models import RoutePlan, RouteSheet
from fieldcrm.visits.models import Visit
from tests.factories import make_account

pytestmark = pytest.mark.browser

LASSOED = ["Forn Centre", "Bar Plaça", "Kiosk Riu", "Botiga Alta"]
SEARCHED = "Farmàcia Lluny"


@pytest.fixture
def area(world):
    """rep1's territory A: four shops close together, one far off (found by search), and one
    more the lasso leaves out. Far enough apart on the fitted map never to cluster."""
    world.rep1.home_base = Point(1.050, 42.050, srid=4326)
    world.rep1.save()
    for name, lng, lat in (
        ("Forn Centre", 1.020, 42.020), ("Bar Plaça", 1.036, 42.020),
        ("Kiosk Riu", 1.020, 42.036), ("Botiga Alta", 1.036, 42.036),
        (SEARCHED, 1.060, 42.060), ("Cafè Fora", 1.060, 42.020),
    ):  # fmt: skip
        make_account(name, lng=lng, lat=lat, status="customer")


def _lasso(page, names: list[str], pad: float = 14) -> None:
    """Draw a ring (a padded rectangle) around the named pins with the mouse."""
    boxes = [
        page.locator(f'.map-accounts .acct-pin[aria-label="{name}"]').bounding_box()
        for name in names
    ]
    left = min(b["x"] for b in boxes) - pad
    right = max(b["x"] + b["width"] for b in boxes) + pad
    top = min(b["y"] for b in boxes) - pad
    bottom = max(b["y"] + b["height"] for b in boxes) + pad
    mouse = page.mouse
    mouse.move(left, top)
    mouse.down()
    for x, y in ((right, top), (right, bottom), (left, bottom), (left, top)):
        mouse.move(x, y, steps=6)
    mouse.up()


def test_offline_the_rep_builds_todays_route_and_the_planner_sees_it_once(
    phones, laptops, world, area
):
    phone = phones(timezone_id=world.north.timezone)
    phone.context.set_default_timeout(60_000)  # a loaded 2-core machine starts slowly
    page = phone.page
    phone.login("rep1")
    phone.wait_synced(0)
    # The area's tiles are on the phone (issue 20) before the signal goes.
    page.get_by_role("link", name="More").click()
    page.locator("#offline-map-status").filter(has_text="map tiles of your area kept").wait_for()
    phone.context.set_offline(True)
    page.locator("#net-status", has_text="Offline").wait_for()

    # The list: a search, and a tick on the account found.
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="List").click()
    page.get_by_label("Search name, contact, phone, address").fill("farmacia")
    page.get_by_label(f"Select {SEARCHED}").check()
    bar = page.get_by_role("region", name="Selected accounts")
    assert bar.locator("#selected-count").inner_text() == "1 selected"

    # The map: the lasso takes four pins, not the fifth outside the ring.
    page.get_by_role("link", name="Map").click()
    page.locator(".map-accounts .acct-pin").first.wait_for()
    page.get_by_role("button", name="Lasso").click()
    assert page.get_by_role("button", name="Lasso").get_attribute("aria-pressed") == "true"
    _lasso(page, LASSOED)
    bar.locator("#selected-count", has_text="5 selected").wait_for()
    # The four lassoed and the one ticked in the list are ringed; the sixth is not.
    assert page.locator(".map-accounts .acct-pin.acct-selected").count() == 5
    assert "acct-selected" not in (
        page.locator('.map-accounts .acct-pin[aria-label="Cafè Fora"]').get_attribute("class")
    )

    # Add to today: ordered on the phone (offline), five visits and one day in the outbox.
    bar.get_by_role("button", name="Add to today").click()
    stops = page.get_by_role("list", name="Today's stops")
    stops.locator("li").nth(4).wait_for()
    phone_order = stops.locator(".stop-name").all_inner_texts()
    assert sorted(phone_order) == sorted([*LASSOED, SEARCHED])
    assert stops.locator(".seq").all_inner_texts() == ["1", "2", "3", "4", "5"]
    phone.wait_pending(6)
    assert not RoutePlan.objects.filter(rep=world.rep1).exists()

    # Online: everything reaches the server once, as the rep's own day in the phone's order.
    phone.synced_after(lambda: phone.context.set_offline(False))
    assert Visit.objects.filter(rep=world.rep1).count() == 5
    plan = RoutePlan.objects.get(rep=world.rep1, status="published")
    assert plan.stats["own"]["on_phone"] is True
    assert [s.account.name for s in plan.stops.order_by("sequence")] == phone_order
    assert RouteSheet.objects.filter(plan=plan).count() == 1

    desk = laptops(
        "planner", f"/planner/?region={world.north.pk}&date={plan.date}",
        timezone_id=world.north.timezone,
    )  # fmt: skip
    section = desk.locator(f'section[data-plan="{plan.pk}"]')
    section.get_by_text("own route, built on the phone").wait_for()
    rows = section.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert [r.replace("added by the rep", "").strip() for r in rows] == phone_order
