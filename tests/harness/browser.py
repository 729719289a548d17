"""The phone app in a real browser: Debian's chromium driven by Playwright (Python).

- ``PHONE``: the browser-context shape of a rep's phone (360×640, touch, a fixed GPS fix);
- ``Phone``: one phone's context and page, with the app's own waits (ready, synced, pending)
  and the taps of a logged visit;
- ``Profile``: a persistent profile on disk, so closing and launching it again is a phone
  restart (IndexedDB, cookies and the service worker survive it).

The fixtures that open them (``browser``, ``phones``) are in tests/browser/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

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


@dataclass
class Phone:
    """One rep's phone: a browser context and its page.

    Waits pass `wait_for_function` a function's text (`() => ...`), never a bare expression:
    Playwright evaluates an expression with eval in the page, which the app's
    Content-Security-Policy refuses ('unsafe-eval' is not allowed)."""

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
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)

    def wait_ready(self) -> None:
        self.page.wait_for_function("() => document.documentElement.dataset.ready === '1'")

    def syncs(self) -> int:
        """Successful syncs since the page opened."""
        return int(self.page.locator("#sync-indicator").get_attribute("data-syncs") or 0)

    def wait_synced(self, since: int | None = None, timeout: float = 30_000) -> None:
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
        """Do ``action`` and wait until a sync after it has emptied the outbox.

        A sync still running when ``action`` writes its change may end just after, its count
        of the outbox read before the write: counted from then, the wait would end with the
        change unsent. So syncs are counted only once none is running."""
        self.page.wait_for_function(
            "() => document.getElementById('sync-indicator')?.dataset.phase !== 'syncing'",
            timeout=30_000,
        )
        before = self.syncs()
        action()
        self.wait_synced(since=before)

    def pending(self) -> int:
        return int(self.page.locator("#pending-count").inner_text())

    def wait_pending(self, count: int, timeout: float = 30_000) -> None:
        self.page.wait_for_function(
            f"() => document.getElementById('sync-indicator')?.dataset.pending === '{count}'",
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


def record_console(phone: Phone, msg) -> None:
    """A page's console errors go to ``phone.errors`` (checked when the phone closes)."""
    if msg.type != "error":
        return
    where = (msg.location or {}).get("url", "")
    # The website's login page has no favicon link; the browser asks for /favicon.ico anyway.
    if where.endswith("/favicon.ico"):
        return
    # The offline map's fill (pwa/static/pwa/js/tile-pack.js) runs after a sync; a test that
    # cuts the network meanwhile fails its tile fetches in flight, which the fill expects
    # (it stops, and the next sync resumes it).
    if "ERR_INTERNET_DISCONNECTED" in msg.text and where.endswith("?pack"):
        return
    phone.errors.append(f"{msg.text} @ {where}")


class Profile:
    """A persistent browser profile: closing and launching it again is a phone restart."""

    def __init__(self, browser, base: str, path) -> None:
        self.browser_type = browser.browser_type
        self.base = base
        self.path = path
        self.phone: Phone | None = None
        self.errors: list[str] = []
        self.allowed: list[str] = [r"Failed to load resource", r"net::ERR_INTERNET_DISCONNECTED"]

    def launch(self, offline: bool = False) -> Phone:
        context = self.browser_type.launch_persistent_context(
            str(self.path),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            **PHONE,
            offline=offline,
        )
        context.set_default_timeout(30_000)
        page = context.pages[0] if context.pages else context.new_page()
        phone = Phone(context=context, page=page, base=self.base)
        page.on("console", lambda msg: record_console(phone, msg))
        page.on("pageerror", lambda exc: phone.errors.append(f"pageerror: {exc}"))
        self.phone = phone
        return phone

    def restart(self, offline: bool = True) -> Phone:
        self.close()
        phone = self.launch(offline=offline)
        phone.page.goto(f"{self.base}/app/")  # offline: the worker serves the shell
        phone.wait_ready()
        return phone

    def close(self) -> None:
        if self.phone is not None:
            self.errors += self.phone.errors
            self.phone.context.close()
            self.phone = None

    def check(self) -> None:
        unexpected = [e for e in self.errors if not any(re.search(p, e) for p in self.allowed)]
        assert not unexpected, unexpected
