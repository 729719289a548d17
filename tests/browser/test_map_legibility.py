"""Issue 20's legible layers, walked in Chromium on the app's own tiles with every request to
another host aborted (and the walk failing if one was tried):

- the manager map opens on the region's accounts, not on the world; its legend pairs each
  swatch with its label on one line, takes less than a third of the map, folds and unfolds;
  a group of accounts is a ring in its accounts' colours (never Leaflet.markercluster's
  green / yellow / orange, which read as customers / prospects), and on the coverage layer
  zoomed out the groups still show the share of each coverage class;
- the planner map draws a route moved by hand along the streets (the committed road graph),
  says so in its legend, and a day without routes opens on the region.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.gis.geos import Point
from django.utils import timezone

from fieldcrm.accounts.models import Account
from fieldcrm.plans.models import RoutePlan, RouteStop
from maps.style import COVERAGE_COLORS, STATUS_COLORS
from tests.factories import square

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(django_settings.FIELDCRM_TILES_FILE).exists(),
        reason="no tiles built (make tiles)",
    ),
]

WEST, SOUTH, EAST, NORTH = 1.515, 42.500, 1.535, 42.512  # Andorra la Vella's centre
# Where the accounts are: a box well inside the region, so "fits the accounts" is seen.
A_WEST, A_SOUTH, A_EAST, A_NORTH = 1.519, 42.504, 1.527, 42.509
MARKERCLUSTER_COLOURS = ("181, 226, 140", "241, 211, 87", "253, 156, 115", "110, 204, 57")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MAP = """() => { const k = Object.keys(window).find(
    (n) => n.startsWith('map_') && window[n] instanceof L.Map); return window[k]; }"""
BOUNDS = f"""() => {{ const b = ({MAP})().getBounds();
    return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }}"""


@pytest.fixture
def andorra(world, settings):
    """Region North moved to Andorra la Vella (its name picks the committed road graph),
    territories A (west) and B (east), 300 accounts in the middle of it, a third of them
    visited, with a cadence of 14 days, at random (seeded)."""
    settings.FIELDCRM_TILE_URL = ""  # our own tiles
    middle = (WEST + EAST) / 2
    world.north.name = "Andorra"
    world.north.boundary = square(WEST, SOUTH, EAST, NORTH)
    world.north.save()
    for territory, box in ((world.territory_a, (WEST, SOUTH, middle, NORTH)),
                           (world.territory_b, (middle, SOUTH, EAST, NORTH))):  # fmt: skip
        territory.boundary = square(*box)
        territory.save()
    rnd = random.Random(20)
    now = timezone.now()
    rows = []
    for i in range(300):
        lng, lat = rnd.uniform(A_WEST, A_EAST), rnd.uniform(A_SOUTH, A_NORTH)
        rows.append(Account(
            name=f"Botiga {i}", status=rnd.choice(["lead", "prospect", "customer"]),
            location=Point(lng, lat, srid=4326), visit_frequency_days=14,
            territory=world.territory_a if lng < middle else world.territory_b,
            last_visited_at=rnd.choice([None, now - dt.timedelta(days=3),
                                        now - dt.timedelta(days=20)]),
        ))  # fmt: skip
    Account.objects.bulk_create(rows)
    return world


def offline_laptop(laptops, username: str, path: str):
    """A laptop on ``path`` whose requests to any other host are aborted and recorded."""
    page = laptops(username, path)
    tried: list[str] = []

    def guard(route) -> None:
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            tried.append(route.request.url)
            route.abort()

    page.context.route("**/*", guard)
    page.reload()
    return page, tried


def frame_of(page, part: str):
    page.frame_locator("iframe").first.locator(".leaflet-container").wait_for()
    return next(f for f in page.frames if part in f.url)


def test_manager_map_legend_clusters_coverage_and_view(laptops, andorra):
    page, tried = offline_laptop(laptops, "manager", "/manager/map")
    frame = frame_of(page, "/manager/map/frame")
    legend = frame.locator(".fieldcrm-legend")
    legend.wait_for()
    frame.locator(".fieldcrm-cluster").first.wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "manager-map-legend.png"))

    # The view fits the accounts (not the region, not the world).
    south, west, north, east = frame.evaluate(BOUNDS)
    assert south <= A_SOUTH and west <= A_WEST and north >= A_NORTH and east >= A_EAST
    assert (north - south) < 3 * (A_NORTH - A_SOUTH)

    # Each swatch sits on its label's line; the legend takes less than a third of the map.
    rows = frame.evaluate("""() => [...document.querySelectorAll('.fieldcrm-legend-row')]
        .map((r) => { const [s, t] = r.children, a = s.getBoundingClientRect(),
                      b = t.getBoundingClientRect();
                      return [t.textContent, a.top + a.height / 2, b.top, b.bottom,
                              getComputedStyle(t).whiteSpace]; })""")
    labels = [r[0] for r in rows]
    assert {"Leads", "Prospects", "Customers", "Never visited", "rep1", "rep2"} <= set(labels)
    for label, swatch_mid, top, bottom, wrap in rows:
        assert top <= swatch_mid <= bottom and bottom - top < 20 and wrap == "nowrap", label
    box = legend.bounding_box()
    whole = frame.locator(".leaflet-container").bounding_box()
    assert box["width"] * box["height"] < whole["width"] * whole["height"] / 3

    # It folds to its button and unfolds again.
    toggle = frame.get_by_role("button", name="Legend")
    assert toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert frame.locator(".fieldcrm-legend-row").first.is_hidden()
    assert legend.bounding_box()["height"] < 40
    toggle.click()
    frame.locator(".fieldcrm-legend-row").first.wait_for()

    # Groups are rings in their status's colour, never markercluster's size colours.
    def ring_colours() -> list[str]:
        return frame.evaluate("""() => [...document.querySelectorAll('.fieldcrm-cluster')]
            .map((e) => getComputedStyle(e).backgroundImage)""")

    def rgb(hex_colour: str) -> str:
        return ", ".join(str(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5))

    status = ring_colours()
    assert status and all(any(rgb(c) in ring for c in STATUS_COLORS.values()) for ring in status)
    assert not any(m in ring for ring in status for m in MARKERCLUSTER_COLOURS)

    # Coverage, zoomed right out: the groups still carry the share of each class.
    frame.locator(".leaflet-control-layers").hover()
    for name in ("Leads", "Prospects", "Customers"):
        frame.locator(".leaflet-control-layers-overlays label", has_text=name).locator(
            "input").uncheck()  # fmt: skip
    frame.locator(".leaflet-control-layers-overlays label", has_text="Coverage").locator(
        "input").check()  # fmt: skip
    frame.evaluate(f"() => ({MAP})().setZoom(12)")
    frame.wait_for_function("() => document.querySelectorAll('.fieldcrm-cluster').length > 0")
    rings = ring_colours()
    shares = [sum(rgb(c) in ring for c in COVERAGE_COLORS.values()) for ring in rings]
    assert max(shares) >= 3, rings  # never, ok and overdue/late in one ring
    assert not tried, tried


def test_planner_map_draws_a_moved_route_along_the_streets(laptops, andorra, settings):
    settings.FIELDCRM_ROUTING_PROVIDER = "road"
    world = andorra
    world.rep1.home_base = Point(1.5200, 42.5050, srid=4326)
    world.rep1.save()
    today = dt.datetime.now(dt.UTC).date()

    # A day with no routes opens on the region.
    page, tried = offline_laptop(
        laptops, "planner", f"/planner/?region={world.north.pk}&date={today}"
    )
    frame = frame_of(page, "/planner/map")
    south, west, north, east = frame.evaluate(BOUNDS)
    assert south <= SOUTH + 1e-3 and north >= NORTH - 1e-3 and (north - south) < 0.1

    # Two drafts; a stop moved from rep2's to rep1's: rep1's line is redrawn by the service,
    # along the streets of the committed road graph.
    shops = list(Account.objects.filter(territory=world.territory_a).order_by("name")[:3])
    now = timezone.now()
    plans = {}
    for rep in (world.rep1, world.rep2):
        plans[rep] = RoutePlan.objects.create(rep=rep, region=world.north, date=today)
    for i, shop in enumerate(shops, start=1):
        RouteStop.objects.create(plan=plans[world.rep2], account=shop, sequence=i,
                                 arrival_at=now, start_at=now, departure_at=now)  # fmt: skip
    from fieldcrm.plans.services import plan_stop_move

    for shop in shops:
        stop = RouteStop.objects.get(account=shop)
        plan_stop_move(actor=world.planner, stop_id=stop.pk, plan_id=plans[world.rep1].pk,
                       position=99)  # fmt: skip
    page.reload()
    frame = frame_of(page, "/planner/map")
    frame.locator(".fieldcrm-stop").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "planner-map-legend.png"))
    vertices = frame.evaluate(f"""() => {{ let n = 0; ({MAP})().eachLayer((l) => {{
        if (l instanceof L.Polyline && !(l instanceof L.Polygon)) n = Math.max(n,
            l.getLatLngs().length); }}); return n; }}""")
    # Home, three stops, home: 5 points as straight lines; the streets add their bends.
    assert vertices > 20, vertices
    text = frame.locator(".fieldcrm-legend").inner_text()
    assert "The route along the streets" in text and re.search(r"rep1", text)
    assert not tried, tried


def test_the_legend_in_persian_keeps_each_swatch_on_its_labels_line(laptops, andorra):
    page, tried = offline_laptop(laptops, "manager", "/manager/map")
    page.get_by_role("button", name="فارسی").click()
    page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    frame = frame_of(page, "/manager/map/frame")
    toggle = frame.get_by_role("button", name="راهنمای نقشه")  # "Legend"
    toggle.wait_for()
    rows = frame.evaluate("""() => [...document.querySelectorAll('.fieldcrm-legend-row')]
        .map((r) => { const [s, t] = r.children, a = s.getBoundingClientRect(),
                      b = t.getBoundingClientRect();
                      return [t.textContent, a.top + a.height / 2, b.top, b.bottom,
                              a.left, b.left]; })""")
    assert "مرز منطقه" in [r[0] for r in rows]  # "Region boundary"
    # On its label's line, and at its start: on the right, right to left.
    for label, swatch_mid, top, bottom, swatch_x, text_x in rows:
        assert top <= swatch_mid <= bottom and swatch_x > text_x, label
    page.screenshot(path=str(ARTIFACTS / "manager-map-legend-fa.png"))
    assert not tried, tried
