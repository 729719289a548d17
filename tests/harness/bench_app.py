"""What the browser benches share (bench/phone_map.py, phone_order_search.py, visit_photos.py,
pwa_first_sync.py, tile_fill.py): the bench's data made by a child run of the script itself
(Django is set up there, never in the measuring process, which only drives the browser), the
app served by gunicorn on a fresh database, and a phone in Chromium signed in.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.harness.browser import CHROMIUM, CHROMIUM_ARGS
from tests.harness.database import drop_database, migrated_database
from tests.harness.env import child_json
from tests.harness.server import Server

PASSWORD = "bench-password"  # every bench user's
PHONE_VIEWPORT = {"width": 360, "height": 640}
SPATIALITE = "spatialite:///unused.db"


def bench_main(child: bool, setup: Callable[[], dict[str, Any]]) -> int | None:
    """The start every bench shares. Stopped with SIGTERM, a bench still runs its finally
    blocks (the server stops rather than being orphaned). ``child``: this is the child run,
    which sets Django up, makes the data with ``setup`` and prints it as JSON (returns 0);
    otherwise None, and the caller measures."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not child:
        return None
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    import django

    django.setup()
    print(json.dumps(setup()))
    return 0


@contextmanager
def served(
    script: str,
    *child_args: str,
    base_url: str = SPATIALITE,
    media: bool = False,
    child_env: dict[str, str] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """A fresh migrated database with ``script --child *child_args``'s data, served (2
    workers × 4 threads, our own tiles; ``media``: uploads kept in the temp folder). Yields
    the base URL and what the child printed; the database is dropped after."""
    with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-") as tmp:
        db = migrated_database(base_url, Path(tmp))
        try:
            made = child_json(db, script, "--child", *child_args, **(child_env or {}))
            env = {"FIELDCRM_MEDIA_DIR": str(Path(tmp) / "media")} if media else {}
            with Server(db, workers=2, threads=4, FIELDCRM_TILE_URL="", **env) as server:
                yield f"http://localhost:{server.port}", made
        finally:
            drop_database(db)


@contextmanager
def phone_browser(pw: Any, *, timeout_ms: float, **context: Any) -> Iterator[tuple[Any, Any]]:
    """Debian's chromium with one context shaped like a phone (360×640, the service worker
    allowed; ``context`` adds or overrides options) and its page; closed after."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        ctx = browser.new_context(
            **{"viewport": PHONE_VIEWPORT, "service_workers": "allow", **context}
        )
        ctx.set_default_timeout(timeout_ms)
        yield ctx, ctx.new_page()
    finally:
        browser.close()


def log_in(page: Any, base: str, username: str) -> float:
    """Sign in from the login form, bound for the app; returns the monotonic time of the tap
    on "Log in" (what the benches count a head start from)."""
    page.goto(f"{base}/login/?next=/app/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    tapped = time.monotonic()
    page.get_by_role("button", name="Log in").click()
    return tapped


def wait_first_sync(page: Any) -> None:
    """Until the app is open, its first sync done and the service worker holds the page (so
    the bench may go offline)."""
    page.wait_for_url("**/app/**")
    page.wait_for_function(
        "() => Number(document.getElementById('sync-indicator')?.dataset.syncs) >= 1"
    )
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
