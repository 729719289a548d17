"""Issue 21, first slice: the rep's accounts on a map and in a searchable list, offline.

A rep goes offline, opens the accounts map (every account of their scope from IndexedDB, on
the app's own tiles), colours it by how overdue the visits are, filters to "due", reads the
legend and taps the one due account to its card; then searches "nguyen" without diacritics
and a phone by its digits, sorts by name; in Persian a phone number reads left to right and a
cluster's count sits in its circle; in Vietnamese the bottom menu's labels do not touch; the
manifest and the favicon are served by the worker offline. External hosts are aborted, and
the ``phones`` fixture checks no request left the machine.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import make_account
from tests.harness.browser import LOCAL_HOSTS

pytestmark = pytest.mark.browser

PINS = ".map-accounts .acct-pin, .map-accounts .acct-cluster"


@pytest.fixture
def accounts(world):
    """rep1's territory A: one overdue customer, one due this week, one not due, a lead with
    no cadence, and three bakeries a few metres apart (a cluster at any zoom but the last)."""
    now = timezone.now()
    ago = lambda days: now - dt.timedelta(days=days)  # noqa: E731
    make_account("Nguyễn Văn An", lng=1.0500, lat=42.0500, status="customer", phone="+376 814440",
                 visit_frequency_days=14, last_visited_at=ago(30))  # fmt: skip
    make_account("Café Nord", lng=1.0550, lat=42.0550, status="prospect",
                 visit_frequency_days=30, last_visited_at=ago(26))  # fmt: skip
    make_account("Kiosk Est", lng=1.0600, lat=42.0450, status="customer",
                 visit_frequency_days=60, last_visited_at=ago(5))  # fmt: skip
    make_account("Botiga Sud", lng=1.0450, lat=42.0600, status="lead")
    for i in range(3):
        make_account(f"Forn {i + 1}", lng=1.0800 + i * 0.00002, lat=42.0700, status="customer")


def names(page) -> list[str]:
    return page.locator("ol.accounts > li > a").all_inner_texts()


def shows(page, expected: list[str]) -> None:
    """Wait until the list shows exactly these names (it fills after the screen mounts)."""
    expect(page.locator("ol.accounts > li > a")).to_have_text(expected)


def test_accounts_map_and_list_offline_with_colours_filters_search_and_rtl(phones, accounts):
    phone = phones()
    phone.context.set_default_timeout(60_000)  # a loaded 2-core machine starts slowly
    # Anything for another host is refused (the fixture also fails the test if one was asked).
    phone.context.route(
        lambda url: urlsplit(url).hostname not in LOCAL_HOSTS, lambda route: route.abort()
    )
    phone.login("rep1")
    page = phone.page
    # The rep's area's tiles are on the phone (issue 20) before the signal goes.
    page.get_by_role("link", name="More").click()
    kept = page.locator("#offline-map-status").filter(has_text="map tiles of your area kept")
    kept.wait_for(timeout=60_000)
    phone.context.set_offline(True)

    # The map: every account of rep1's scope, from IndexedDB, in status colours at first.
    page.get_by_role("link", name="Accounts").click()
    page.locator(PINS).first.wait_for()
    assert page.locator(".count").inner_text() == "7 of 7 accounts on the map"
    assert "Customer" in page.get_by_role("list", name="Legend").inner_text()

    # Coloured by the visits' due dates (remembered), filtered to those due: the overdue one.
    page.get_by_label("Visit due").check()
    legend = page.get_by_role("list", name="Legend").inner_text()
    assert "Visit overdue" in legend and "Visit due this week" in legend
    page.locator("details.filters summary").click()
    page.get_by_label("Due for a visit").check()
    assert page.locator(".count").inner_text() == "1 of 1 accounts on the map"
    pin = page.locator(".map-accounts .acct-pin")
    assert pin.count() == 1 and "c-due-overdue" in pin.get_attribute("class")
    pin.click()
    page.get_by_role("heading", name="Nguyễn Văn An").wait_for()
    page.go_back()
    page.locator(PINS).first.wait_for()
    assert page.get_by_label("Visit due").is_checked()

    # The list keeps the filters; without them, a search with no diacritics, then by digits.
    page.get_by_role("link", name="List").click()
    shows(page, ["Nguyễn Văn An"])
    page.locator("details.filters summary").click()
    page.get_by_label("Due for a visit").uncheck()
    expect(page.locator("ol.accounts > li > a")).to_have_count(7)
    everyone = names(page)
    search = page.get_by_label("Search name, contact, phone, address")
    search.fill("nguyen")
    shows(page, ["Nguyễn Văn An"])
    search.fill("376814440")
    shows(page, ["Nguyễn Văn An"])
    search.fill("")
    page.get_by_label("Sort by").select_option("due")
    expect(page.locator("ol.accounts > li > a").nth(0)).to_have_text("Nguyễn Văn An")
    expect(page.locator("ol.accounts > li > a").nth(1)).to_have_text("Café Nord")
    page.get_by_label("Sort by").select_option("name")
    shows(page, sorted(everyone, key=str.casefold))
    page.get_by_role("link", name=names(page)[0]).click()
    page.get_by_role("heading", name="Botiga Sud").wait_for()

    # Offline, the worker serves the manifest and the favicon (they 404'd before issue 21).
    statuses = page.evaluate(
        """() => Promise.all(['/manifest.json', '/favicon.ico']
                  .map((u) => fetch(u).then((r) => r.status)))"""
    )
    assert statuses == [200, 200]

    # Persian: the phone number reads left to right; a cluster's count sits in its circle.
    page.goto(f"{phone.base}/app/#/more")
    page.get_by_label("Language").select_option("fa")
    page.goto(f"{phone.base}/app/#/list")
    page.locator("ol.accounts > li").first.wait_for()
    page.locator("#account-search").fill("814440")
    number = page.locator("ol.accounts bdi.phone")
    assert number.inner_text() == "+376 814440"
    order = number.evaluate(
        """(el) => {
            const range = document.createRange();
            const text = el.firstChild;
            range.setStart(text, 0); range.setEnd(text, 1);
            const plus = range.getBoundingClientRect().left;
            range.setStart(text, text.length - 1); range.setEnd(text, text.length);
            return [getComputedStyle(el).direction, plus < range.getBoundingClientRect().left];
        }"""
    )
    assert order == ["ltr", True]
    page.goto(f"{phone.base}/app/#/map")
    cluster = page.locator(".map-accounts .acct-cluster").first
    cluster.wait_for()
    offset = cluster.evaluate(
        """(el) => {
            const c = el.getBoundingClientRect();
            const n = el.querySelector('.n').getBoundingClientRect();
            return [Math.abs((c.left + c.right) / 2 - (n.left + n.right) / 2),
                    Math.abs((c.top + c.bottom) / 2 - (n.top + n.bottom) / 2), el.innerText];
        }"""
    )
    assert offset[0] <= 1.5 and offset[1] <= 2 and offset[2] == "3", offset

    # Vietnamese at 360 px: the bottom menu's labels keep apart.
    page.goto(f"{phone.base}/app/#/more")
    page.locator("#language").select_option("vi")
    gaps = page.evaluate(
        """() => {
            const boxes = [...document.querySelectorAll('#nav a > span')]
                .map((s) => s.getBoundingClientRect());
            return boxes.slice(1).map((b, i) => b.left - boxes[i].right);
        }"""
    )
    assert len(gaps) == 4 and min(gaps) >= 6, gaps
