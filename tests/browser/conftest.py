"""Playwright (Python) driving Debian's chromium against pytest-django's live server.

Every test gets phones (browser contexts at 360×640 with touch and a fixed GPS position) that
record two things checked at teardown: no request left this machine, and the page logged no
console errors (besides those a test provokes on purpose and declares).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from fieldcrm.visits.models import Visit
from tests.factories import make_account

# Playwright's sync API runs an event loop in this thread; the ORM calls in tests are still
# plain synchronous code, so tell Django not to refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
# The shop the rep stands in front of (territory A of the shared personas).
HERE = {"latitude": 42.0501, "longitude": 1.0500, "accuracy": 12}
# A rep's phone, for every browser context the tests open.
# No `locale=`: with it, Playwright 1.65 fails offline reloads served by the worker
# (net::ERR_FAILED); Debian's chromium defaults to en-US anyway.
PHONE = {
    "viewport": {"width": 360, "height": 640},
    "is_mobile": True,
    "has_touch": True,
    "timezone_id": "UTC",
    "geolocation": HERE,
    "permissions": ["geolocation"],
    "service_workers": "allow",
}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make sysdeps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Phone:
    """One rep's phone: a browser context and its page."""

    context: object
    page: object
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed_errors: list[str] = field(default_factory=list)

    def login(self, username: str) -> None:
        page = self.page
        page.goto(f"{self.base}/app/")
        page.wait_for_url(re.compile(r"/login/"))
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(f"pw-{username}")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/app/"))
        self.wait_ready()
        self.wait_synced()
        # The worker must hold the shell before any test goes offline.
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)

    def wait_ready(self) -> None:
        self.page.wait_for_function("document.documentElement.dataset.ready === '1'")

    def syncs(self) -> int:
        """Successful syncs since the page opened."""
        return int(self.page.locator("#sync-indicator").get_attribute("data-syncs") or 0)

    def wait_synced(self, since: int | None = None, timeout: float = 15_000) -> None:
        """Until a sync later than ``since`` has completed and nothing waits in the outbox."""
        self.page.wait_for_function(
            """(since) => {
                const box = document.getElementById('sync-indicator');
                return box && box.dataset.pending === '0' && Number(box.dataset.syncs) > since;
            }""",
            arg=0 if since is None else since,
            timeout=timeout,
        )

    def synced_after(self, action) -> None:
        """Do ``action`` and wait until a sync after it has emptied the outbox."""
        before = self.syncs()
        action()
        self.wait_synced(since=before)

    def pending(self) -> int:
        return int(self.page.locator("#pending-count").inner_text())

    def wait_pending(self, count: int, timeout: float = 15_000) -> None:
        self.page.wait_for_function(
            f"document.getElementById('sync-indicator')?.dataset.pending === '{count}'",
            timeout=timeout,
        )

    def sync_now(self) -> None:
        self.page.goto(f"{self.base}/app/#/more")
        self.page.get_by_role("button", name="Sync now").click()

    def log_visit(self, stop_name: str, outcome: str, notes: str, next_step: str = "") -> None:
        """From Today: tap "Log visit" (1), an outcome (2), type, "Save visit" (3)."""
        page = self.page
        page.goto(f"{self.base}/app/#/today")
        page.get_by_role("link", name=f"Log visit at {stop_name}", exact=True).click()
        page.locator("#checkin-status.fix-ok, #checkin-status.fix-far").wait_for()
        page.get_by_label(outcome).check()
        page.get_by_label("Notes").fill(notes)
        if next_step:
            page.get_by_label("Next step (task)").fill(next_step)
            page.get_by_label("Due date").fill(str(dt.date.today() + dt.timedelta(days=3)))
        page.get_by_role("button", name="Save visit").click()
        page.get_by_role("heading", name="Today").wait_for()


@pytest.fixture
def phones(browser, live_server, settings):
    """``phones()`` opens another phone; all are checked and closed at teardown."""
    settings.FIELDCRM_TILE_URL = ""  # no tile server in tests: the map draws without tiles
    opened: list[Phone] = []

    def open_phone() -> Phone:
        context = browser.new_context(**PHONE, device_scale_factor=2)
        context.set_default_timeout(10_000)
        page = context.new_page()
        phone = Phone(context=context, page=page, base=live_server.url)
        context.on("request", lambda request: phone.requests.append(request.url))
        page.on("console", lambda msg: _console(phone, msg))
        page.on("pageerror", lambda exc: phone.errors.append(f"pageerror: {exc}"))
        opened.append(phone)
        return phone

    yield open_phone
    try:
        for phone in opened:
            hosts = {urlsplit(url).hostname for url in phone.requests if "://" in url}
            hosts.discard(None)
            assert hosts <= LOCAL_HOSTS, f"requests left the machine: {hosts - LOCAL_HOSTS}"
            unexpected = [
                e for e in phone.errors if not any(re.search(p, e) for p in phone.allowed_errors)
            ]
            assert not unexpected, unexpected
    finally:
        for phone in opened:
            phone.context.close()


def _console(phone: Phone, msg) -> None:
    if msg.type != "error":
        return
    where = (msg.location or {}).get("url", "")
    # The website's login page has no favicon link; the browser asks for /favicon.ico anyway.
    if where.endswith("/favicon.ico"):
        return
    phone.errors.append(f"{msg.text} @ {where}")


@pytest.fixture
def route_today(world):
    """Three stops for rep1 today, in route order, each with a planned arrival."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    shops = [
        make_account("Bakery Nord", lng=1.0500, lat=42.0500, status="customer"),
        make_account("Café Sud", lng=1.0520, lat=42.0510, status="customer"),
        make_account("Kiosk Est", lng=1.0540, lat=42.0490, status="customer"),
    ]
    for sequence, shop in enumerate(shops, start=1):
        Visit.objects.create(
            account=shop, rep=world.rep1, scheduled_on=dt.datetime.now(dt.UTC).date(),
            route_sequence=sequence,
            planned_arrival_at=start + dt.timedelta(minutes=40 * sequence),
        )  # fmt: skip
    return shops
