"""No dead ends (issue 14, defect 10), in headless Chromium: a rep who opens the manager's page
gets the styled 403 and its link home takes them to the phone app; a manager walks the pages
through the one navigation and logs out; a planner switches the planner page to Persian
(right-to-left) and logs out. Nothing the pages load is blocked by the Content-Security-Policy
and no page logs an error."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.test_manager_map import log_in
from tests.browser.test_xss_sweep import WATCH_CSP
from tests.harness.browser import LOCAL_HOSTS

pytestmark = pytest.mark.browser

GREEN = "rgb(11, 110, 79)"  # the header's colour, from core/site.css


@dataclass
class Laptop:
    page: Any
    base: str
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    allowed_errors: list[str] = field(default_factory=list)

    def path(self) -> str:
        return urlsplit(self.page.url).path

    def nav(self):
        return self.page.locator("header.site-header nav")

    def current(self) -> list[str]:
        return self.nav().locator("a[aria-current=page]").all_inner_texts()


@pytest.fixture
def laptop(browser, live_server, settings):
    settings.FIELDCRM_TILE_URL = ""  # the app's own tiles, from the live server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="UTC")
    context.set_default_timeout(30_000)
    page = context.new_page()
    laptop = Laptop(page, live_server.url)
    context.expose_binding("__cspViolation", lambda _s, text: laptop.violations.append(text))
    context.add_init_script(WATCH_CSP)
    context.on("request", lambda request: laptop.requests.append(request.url))

    def on_console(msg) -> None:
        where = (msg.location or {}).get("url", "")
        if msg.type == "error" and not where.endswith("/favicon.ico"):
            laptop.errors.append(f"{msg.text} @ {where}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: laptop.errors.append(f"pageerror: {exc}"))
    yield laptop
    try:
        hosts = {urlsplit(url).hostname for url in laptop.requests if "://" in url} - {None}
        assert hosts <= LOCAL_HOSTS, f"requests left the machine: {hosts - LOCAL_HOSTS}"
        assert not laptop.violations, laptop.violations
        unexpected = [
            e for e in laptop.errors if not any(re.search(p, e) for p in laptop.allowed_errors)
        ]
        assert not unexpected, unexpected
    finally:
        context.close()


def test_a_rep_refused_on_the_manager_page_finds_the_way_home(laptop, world):
    page = laptop.page
    laptop.allowed_errors.append(r"status of 403")  # the browser logs the refused document
    assert log_in(page, laptop.base, "rep1", "/manager/").status == 403
    page.get_by_role("heading", name="You may not open this page").wait_for()
    # Styled: the site's stylesheet is applied, and the header is the rep's navigation.
    header = page.locator("header.site-header")
    assert header.evaluate("h => getComputedStyle(h).backgroundColor") == GREEN
    assert laptop.nav().get_by_role("link").all_inner_texts() == [
        "Accounts",
        "Deal board",
        "Tasks",
        "Orders and quotes",
        "Phone app",
        "API documentation",
    ]
    assert page.locator(".site-user-name").inner_text().startswith("rep1")
    page.get_by_role("link", name="Go to your start page").click()
    page.wait_for_url(f"{laptop.base}/app/")
    page.wait_for_function("() => document.documentElement.dataset.ready === '1'")
    page.locator("#screen h1").wait_for()  # the phone app's Today


def test_a_manager_walks_the_pages_through_the_navigation_and_logs_out(laptop, world):
    page = laptop.page
    assert log_in(page, laptop.base, "manager", "/manager/").status == 200
    page.get_by_role("navigation", name="Main menu").wait_for()
    assert laptop.current() == ["This week"]
    walk = [("Route planner", "/planner/"), ("Territory map", "/manager/map"),
            ("This week", "/manager/"), ("Route planner", "/planner/")]  # fmt: skip
    for name, path in walk:
        laptop.nav().get_by_role("link", name=name).click()
        page.wait_for_url(f"{laptop.base}{path}")
        assert laptop.current() == [name]
        assert page.locator("header.site-header").count() == 1
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{laptop.base}/")
    assert laptop.nav().get_by_role("link").all_inner_texts() == ["API documentation"]
    page.locator("header.site-header").get_by_role("link", name="Log in").wait_for()
    # Logged out for real: the manager's page asks for a login again.
    page.goto(f"{laptop.base}/manager/")
    assert urlsplit(page.url).path == "/login/"


def test_a_planner_switches_to_persian_right_to_left_and_logs_out(laptop, world):
    page = laptop.page
    assert log_in(page, laptop.base, "planner", "/planner/").status == 200
    links = laptop.nav().get_by_role("link").all_inner_texts()
    assert links == [
        "Route planner",
        "Accounts",
        "Deal board",
        "Tasks",
        "Orders and quotes",
        "Phone app",
        "API documentation",
    ]  # no manager pages
    page.get_by_role("button", name="فارسی").click()
    page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    assert laptop.path() == "/planner/"
    page.get_by_role("navigation", name="منوی اصلی").wait_for()  # "Main menu"
    assert page.locator("html").get_attribute("lang") == "fa"
    assert laptop.current() == ["برنامه‌ریز مسیر"]
    # Right to left: the brand sits at the right edge, the language switch at the left.
    brand = page.locator("header .brand").bounding_box()
    languages = page.locator("header .site-languages").bounding_box()
    assert brand["x"] > languages["x"]
    page.get_by_role("button", name="English").click()
    page.wait_for_function("() => document.documentElement.dir === 'ltr'")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{laptop.base}/")
    page.goto(f"{laptop.base}/planner/")
    assert urlsplit(page.url).path == "/login/"
