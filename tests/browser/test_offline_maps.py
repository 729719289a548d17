"""Issue 20: every map draws the app's own vector tiles (built by `make tiles` from the
committed OSM extracts) with no request leaving this machine: the manager map, the planner
map, the admin's territory editor and the phone's Today, which still shows its streets after
going offline and reloading.

"Draws streets" is a pixel count: the tile canvases' near-white pixels, the colour of streets
in protomaps-leaflet's "light" style (and in the admin's OpenLayers style), on a land colour
(#e2dfda) that is not near white. A map without tiles counts none.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from fieldcrm.plans.models import RoutePlan, RouteStop
from fieldcrm.visits.models import Visit
from tests.factories import make_account, square

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(django_settings.FIELDCRM_TILES_FILE).exists(),
        reason="no tiles built (make tiles)",
    ),
]

# Andorra la Vella's centre: inside the committed extract, with dense streets.
WEST, SOUTH, EAST, NORTH = 1.515, 42.500, 1.535, 42.512
SHOPS = [(1.5180, 42.5063), (1.5210, 42.5078), (1.5230, 42.5090)]
STREET_PIXELS = """(selector) => {
    let n = 0;
    for (const c of document.querySelectorAll(selector)) {
        const ctx = c.width && c.getContext("2d");
        if (!ctx) continue;
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4)
            if (d[i + 3] > 200 && d[i] >= 232 && d[i + 1] >= 232 && d[i + 2] >= 232) n++;
    }
    return n;
}"""
LEAFLET_TILES = ".leaflet-tile-pane canvas"
MIN_STREET_PIXELS = 2_000  # a few streets' worth; a map of Andorra's centre has far more


@pytest.fixture
def andorra(world):
    """Region North moved to Andorra la Vella (territory A, rep1's, the west half; B the
    east), three shops in A with a route for today."""
    middle = (WEST + EAST) / 2
    world.north.boundary = square(WEST, SOUTH, EAST, NORTH)
    world.north.save()
    for territory, box in ((world.territory_a, (WEST, SOUTH, middle, NORTH)),
                           (world.territory_b, (middle, SOUTH, EAST, NORTH))):  # fmt: skip
        territory.boundary = square(*box)
        territory.save()
    territory = world.territory_a
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    shops = []
    for i, (lng, lat) in enumerate(SHOPS, start=1):
        shop = make_account(f"Botiga {i}", lng=lng, lat=lat, status="customer",
                            territory=territory)  # fmt: skip
        Visit.objects.create(
            account=shop, rep=world.rep1, scheduled_on=dt.datetime.now(dt.UTC).date(),
            route_sequence=i, planned_arrival_at=start + dt.timedelta(minutes=20 * i),
        )  # fmt: skip
        shops.append(shop)
    return territory, shops


def wait_streets(where, selector: str = LEAFLET_TILES) -> int:
    where.wait_for_function(
        f"(min) => ({STREET_PIXELS})({selector!r}) > min", arg=MIN_STREET_PIXELS,
        timeout=40_000,  # a loaded 2-core machine draws slowly
    )  # fmt: skip
    return where.evaluate(STREET_PIXELS, selector)


def local_only(requests: list[str]) -> None:
    hosts = {r.split("/")[2].split(":")[0] for r in requests if "://" in r}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts


def test_todays_map_draws_our_streets_online_and_after_an_offline_reload(phones, andorra):
    phone = phones()
    phone.login("rep1")
    page = phone.page
    page.locator(".map.leaflet-container").wait_for()
    assert wait_streets(page) > MIN_STREET_PIXELS
    assert "OpenStreetMap" in page.locator(".map .leaflet-control-attribution").inner_text()
    assert any("/tiles/14/" in url for url in phone.requests)

    phone.context.set_offline(True)
    page.reload()
    phone.wait_ready()
    # As long as the waits above: offline, the app starts from IndexedDB and the worker's
    # caches, which a loaded CI machine took over the default 10 s to do once.
    page.locator(".map.leaflet-container").wait_for(timeout=30_000)
    assert wait_streets(page) > MIN_STREET_PIXELS


def test_manager_and_planner_maps_draw_our_streets(laptops, andorra, world):
    territory, shops = andorra
    requests: list[str] = []
    page = laptops("manager", "/manager/map")
    page.context.on("request", lambda request: requests.append(request.url))
    page.reload()
    frame = page.frame_locator("#map-frame")
    frame.locator(".leaflet-container").wait_for()
    inner = next(f for f in page.frames if "/frame" in f.url)
    assert wait_streets(inner) > MIN_STREET_PIXELS
    assert "OpenStreetMap" in frame.locator(".leaflet-control-attribution").inner_text()

    today = dt.datetime.now(dt.UTC).date()
    plan = RoutePlan.objects.create(rep=world.rep1, region=world.north, date=today)
    now = timezone.now()
    for i, shop in enumerate(shops, start=1):
        RouteStop.objects.create(plan=plan, account=shop, sequence=i, arrival_at=now,
                                 start_at=now, departure_at=now)  # fmt: skip
    page = laptops("planner", f"/planner/?region={world.north.pk}&date={today}")
    page.context.on("request", lambda request: requests.append(request.url))
    page.reload()
    page.frame_locator("iframe").first.locator(".leaflet-container").wait_for()
    inner = next(f for f in page.frames if "/planner/map" in f.url)
    assert wait_streets(inner) > MIN_STREET_PIXELS
    local_only(requests)


def test_admin_territory_editor_draws_our_streets(laptops, andorra):
    territory, _ = andorra
    requests: list[str] = []
    page = laptops("admin", f"/admin/territories/territory/{territory.pk}/change/")
    page.context.on("request", lambda request: requests.append(request.url))
    page.reload()
    page.locator(".ol-viewport").first.wait_for()
    assert wait_streets(page, ".ol-layer canvas") > MIN_STREET_PIXELS
    assert "OpenStreetMap" in page.locator(".ol-attribution").first.inner_text()
    local_only(requests)


def test_the_phone_keeps_its_areas_tiles_and_draws_them_offline_from_that_cache(phones, andorra):
    phone = phones()
    phone.login("rep1")
    page = phone.page
    page.get_by_role("link", name="More").click()
    status = page.locator("#offline-map-status")
    status.filter(has_text="map tiles of your area kept").wait_for(timeout=30_000)
    assert "of 50 MB" in status.inner_text() and "Not complete" not in status.inner_text()
    kept = page.evaluate(
        "async () => (await (await caches.open('fieldcrm-tiles-area')).keys()).map((r) => r.url)"
    )
    assert any("/tiles/14/8261/6050.mvt" in url for url in kept)  # Andorra la Vella's centre
    assert all("/tiles/1" in url for url in kept)  # zooms 10-14 only
    # Fetched a box at a time (one request per bundle), never tile by tile.
    assert any("/tiles/bundle?" in url for url in phone.requests)
    assert not any(url.endswith("?pack") for url in phone.requests)
    page.get_by_role("button", name="Refresh offline map").click()
    status.filter(has_text="map tiles of your area kept").wait_for(timeout=30_000)

    # Only the area's cache is left: the tiles the map fetched online are forgotten.
    page.evaluate("async () => caches.delete('fieldcrm-tiles')")
    phone.context.set_offline(True)
    page.goto(f"{phone.base}/app/#/today")
    phone.wait_ready()
    # As long as the waits above: offline, the app starts from IndexedDB and the worker's
    # caches, which a loaded CI machine took over the default 10 s to do once.
    page.locator(".map.leaflet-container").wait_for(timeout=30_000)
    assert wait_streets(page) > MIN_STREET_PIXELS

    # The navigation context, still with no signal: the accounts map draws the same kept
    # streets around the shops, Nearby orders them from the GPS fix, and a shop's card
    # offers its Navigate link (to the rep's maps app, with the shop's own coordinates).
    page.get_by_role("link", name="Accounts").click()
    page.locator(".map-accounts.leaflet-container").wait_for(timeout=30_000)
    assert wait_streets(page) > MIN_STREET_PIXELS
    page.goto(f"{phone.base}/app/#/nearby")
    page.get_by_role("button", name="Find accounts near me").click()
    nearby = page.get_by_role("list", name="Accounts near you")
    nearby.get_by_role("link", name="Botiga 1").wait_for()
    nearby.get_by_role("link", name="Botiga 1").click()
    navigate = page.get_by_role("link", name="Navigate to Botiga 1")
    lng, lat = SHOPS[0]
    assert navigate.get_attribute("href").startswith(f"geo:{lat},{lng}")
    local_only(phone.requests)
