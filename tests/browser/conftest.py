"""Playwright (Python) driving Debian's chromium against pytest-django's live server.

Every test gets phones (browser contexts at 360×640 with touch and a fixed GPS position) that
record two things checked at teardown: no request left this machine, and the page logged no
console errors (besides those a test provokes on purpose and declares). The phone itself (its
context shape, its waits and taps) is tests/harness/browser.py.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.utils import timezone

from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.harness.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOCAL_HOSTS,
    PHONE,
    Phone,
    record_console,
)

# Playwright's sync API runs an event loop in this thread; the ORM calls in tests are still
# plain synchronous code, so tell Django not to refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make sysdeps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phones(browser, live_server, settings):
    """``phones()`` opens another phone; all are checked and closed at teardown."""
    settings.FIELDCRM_TILE_URL = ""  # the app's own tiles (make tiles), served by the live server
    opened: list[Phone] = []

    def open_phone(**shape) -> Phone:
        """``shape`` overrides the phone's context shape (e.g. its ``timezone_id``)."""
        context = browser.new_context(**{**PHONE, **shape}, device_scale_factor=2)
        context.set_default_timeout(30_000)
        page = context.new_page()
        phone = Phone(context=context, page=page, base=live_server.url)
        context.on("request", lambda request: phone.requests.append(request.url))
        page.on("console", lambda msg: record_console(phone, msg))
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


@pytest.fixture
def laptops(browser, live_server):
    """``laptops(username, path)``: a desk browser logged in and on ``path``; no page error
    allowed. The password is the shared personas' (``pw-<username>``)."""
    opened: list[tuple[object, list[str]]] = []

    def open_laptop(username: str, path: str, timezone_id: str = "UTC"):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, timezone_id=timezone_id
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        opened.append((context, errors))
        page.goto(f"{live_server.url}/login/?{urlencode({'next': path})}")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(f"pw-{username}")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: urlsplit(url).path == urlsplit(path).path)
        return page

    yield open_laptop
    for context, errors in opened:
        context.close()
        assert not errors, errors


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
