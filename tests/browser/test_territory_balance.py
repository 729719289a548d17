"""Balanced territories in Chromium: the manager proposes for region North, sees each rep's
workload today and proposed and both layers of the map, applies after the confirm step, and
the accounts list shows the moved accounts in their new territory."""

from __future__ import annotations

import re

import pytest

from fieldcrm.accounts.models import Account
from tests.fieldcrm.territories.test_balancing import crowded  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_manager_proposes_compares_and_applies(laptops, crowded, live_server):  # noqa: F811
    page = laptops("manager", "/manager/territories/balance")
    page.get_by_label("Region").select_option(label="North")
    assert page.get_by_label("How").input_value() == "keep"
    page.get_by_label("Workloads within (%)").fill("10")
    page.get_by_role("button", name="Propose").click()
    table = page.locator("#balance-table")
    table.wait_for()
    assert "workloads within 10 %" in page.locator("#balance-method-used").inner_text()
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    assert "rep1" in rows.nth(0).inner_text() and "rep2" in rows.nth(1).inner_text()
    assert float(page.locator("#balance-ratio-before").inner_text()) > 5
    assert float(page.locator("#balance-ratio-after").inner_text()) < 1.15
    frame = page.frame_locator("#balance-frame")
    control = frame.locator(".leaflet-control-layers-overlays")
    control.get_by_text("Proposed territories").wait_for()
    control.get_by_text("Territories today").wait_for()
    frame.locator(".fieldcrm-legend").get_by_text("Territories today (dashed outline)").wait_for()

    page.get_by_role("link", name="Apply…").click()
    page.locator("#balance-confirm").wait_for()
    assert not Account.objects.filter(territory=crowded.territory_b, name__startswith="Town")
    page.get_by_role("button", name="Apply the new territories").click()
    notice = page.locator("#balance-applied")
    notice.wait_for()
    moved = int(re.search(r"territory: (\d+)", notice.inner_text()).group(1))
    assert moved > 0
    towns_in_b = list(
        Account.objects.filter(territory=crowded.territory_b, name__startswith="Town")
        .order_by("name").values_list("name", flat=True)
    )  # fmt: skip
    assert towns_in_b

    page.goto(f"{live_server.url}/crm/accounts?territory={crowded.territory_b.pk}")
    listing = page.locator("main")
    listing.get_by_text(towns_in_b[0], exact=True).first.wait_for()
