"""The manager map in headless Chromium: it opens with no console error and no request off
this machine (tiles come from a local stub), clusters show, drawing an area lists and assigns
the accounts inside it (a confirmation with the names, then Undo, after a reload too); a
rep is refused. A screenshot is kept under test-artifacts/.

Uses the session `browser` fixture of tests/browser/conftest.py (Debian's chromium)."""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from fieldcrm.accounts.models import Account

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
# More than maps.FAST_CLUSTER_THRESHOLD, so the page takes the supercluster path that a real
# region (100,000 accounts) takes, not the small-map folium path.
ACCOUNTS = 1_500


@pytest.fixture
def region_accounts(world):
    """Accounts spread over region North (territories A and B), bulk-created."""
    rnd = random.Random(8)
    rows = []
    for i in range(ACCOUNTS):
        lng, lat = rnd.uniform(1.005, 1.195), rnd.uniform(42.005, 42.095)
        rows.append(
            Account(
                name=f"Shop {i}", status=rnd.choice(["lead", "prospect", "customer"]),
                location=Point(lng, lat, srid=4326),
                territory=world.territory_a if lng < 1.1 else world.territory_b,
                visit_frequency_days=rnd.choice([None, 14, 30]),
            )
        )  # fmt: skip
    Account.objects.bulk_create(rows, batch_size=500)
    return rows


@pytest.fixture
def desk(browser, live_server, settings):
    """A manager's laptop: a browser context that records every request and console error,
    checked at teardown."""
    # A local tile stub: any small PNG the live server serves will do.
    settings.FIELDCRM_TILE_URL = (
        f"{live_server.url}/static/vendor/leaflet/images/layers.png?z={{z}}&x={{x}}&y={{y}}"
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="UTC")
    context.set_default_timeout(30_000)
    requests: list[str] = []
    errors: list[str] = []
    context.on("request", lambda request: requests.append(request.url))

    def on_console(msg) -> None:
        where = (msg.location or {}).get("url", "")
        if msg.type == "error" and not where.endswith("/favicon.ico"):
            errors.append(f"{msg.text} @ {where}")

    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    desk = Desk(page, live_server.url)
    yield desk
    try:
        hosts = {urlsplit(url).hostname for url in requests if "://" in url} - {None}
        assert hosts <= LOCAL_HOSTS, f"requests left the machine: {hosts - LOCAL_HOSTS}"
        if desk.expect_map:
            assert any("/static/vendor/leaflet/images/layers.png?z=" in u for u in requests)
        unexpected = [e for e in errors if not any(re.search(p, e) for p in desk.allowed_errors)]
        assert not unexpected, unexpected
    finally:
        context.close()


@dataclass
class Desk:
    page: Any
    base: str
    expect_map: bool = True
    allowed_errors: list[str] = field(default_factory=list)


def log_in(page, base: str, username: str, then: str):
    page.goto(f"{base}/login/?next={then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}")

    def landed(response) -> bool:
        return response.request.method == "GET" and urlsplit(response.url).path == then

    with page.expect_response(landed) as answer:
        page.get_by_role("button", name="Log in").click()
    return answer.value


def test_manager_map_opens_clusters_and_selects_an_area(desk, world, region_accounts):
    page, base = desk.page, desk.base
    assert log_in(page, base, "manager", "/manager/map").status == 200
    frame = page.frame_locator("#map-frame")
    clusters = frame.locator(".fieldcrm-cluster")
    clusters.first.wait_for(state="visible")
    assert clusters.count() >= 2
    ARTIFACTS.mkdir(exist_ok=True)
    backend = os.environ.get("FIELDCRM_TEST_BACKEND", connection.vendor)
    page.screenshot(path=str(ARTIFACTS / f"manager-map-{backend}.png"), full_page=True)

    # Draw a small rectangle near the middle of the map (a few dozen accounts, so the
    # assignment below stays quick).
    frame.locator(".leaflet-draw-draw-rectangle").click()
    box = page.locator("#map-frame").bounding_box()
    x, y = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + box["width"] * 0.1, y + box["height"] * 0.1, steps=5)
    page.mouse.up()
    count = page.locator("#selection-count")
    page.wait_for_function(
        "() => /\\d/.test(document.getElementById('selection-count').textContent)",
        timeout=30_000,
    )
    selected = int(re.search(r"(\d+)", count.inner_text()).group(1))
    assert 0 < selected < ACCOUNTS
    assert page.locator("#selection-list li").count() == min(selected, 500)

    listed = sorted(page.locator("#selection-list li span").all_inner_texts())

    # Give the selection to rep2: a confirmation first, with the count and the names.
    page.get_by_label("Assign to rep").select_option(label="rep2")
    page.get_by_role("button", name="Assign", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for(state="visible")
    assert dialog.locator("h2").inner_text() == f"Give {selected} accounts to rep2?"
    assert sorted(dialog.locator("li bdi").all_inner_texts()) == listed
    # Territory A is rep1's: those accounts carry a warning (rep2 works in the same region).
    in_a = Account.objects.filter(name__in=listed, territory=world.territory_a).count()
    assert dialog.locator("li div.bulk-warning").count() == in_a
    assert not Account.objects.filter(owner=world.rep2).exists()  # nothing written yet
    page.screenshot(path=str(ARTIFACTS / f"manager-map-confirm-{backend}.png"))
    dialog.get_by_role("button", name="Apply").click()
    notice = page.locator("#bulk-notice")
    notice.filter(has_text=f"{selected} accounts now belong to rep2").wait_for()
    assert Account.objects.filter(owner=world.rep2).count() == selected
    page.screenshot(path=str(ARTIFACTS / f"manager-map-applied-{backend}.png"))

    # A confirmation dismissed (Esc, or Cancel) applies nothing, even after an earlier Apply.
    page.get_by_label("Assign to rep").select_option(label="rep1")
    for dismiss in (lambda: page.keyboard.press("Escape"),
                    lambda: dialog.get_by_role("button", name="Cancel").click()):  # fmt: skip
        page.get_by_role("button", name="Assign", exact=True).click()
        dialog.wait_for(state="visible")
        assert dialog.locator("h2").inner_text() == f"Give {selected} accounts to rep1?"
        dismiss()
        dialog.wait_for(state="hidden")
    assert not Account.objects.filter(owner=world.rep1).exists()

    # Undo survives a reload: the server keeps the last change.
    page.reload()
    notice.filter(has_text="Your last bulk change").wait_for()
    page.get_by_role("button", name="Undo").click()
    notice.filter(has_text=f"Undone: {selected} accounts").wait_for()
    assert not Account.objects.filter(owner__isnull=False).exists()


def test_rep_cannot_open_the_manager_map(desk, world):
    desk.expect_map = False
    # The browser logs the refused page itself as a failed resource.
    desk.allowed_errors.append(r"status of 403")
    assert log_in(desk.page, desk.base, "rep1", "/manager/map").status == 403
    assert "Territory map" not in desk.page.content()
