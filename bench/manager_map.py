"""The manager's territory map for one region of 100,000 accounts (issue 8): server time to build
the map, bytes sent (raw and gzip), and time until the clusters are drawn in headless Chromium.

Run: .venv/bin/python bench/manager_map.py [--smoke] [--accounts N] [--runs R]

A temporary SpatiaLite database gets one region cut into 20 territories (8 reps) and N accounts
bulk-inserted (executemany with MakePoint, as bench/accounts_geo.py does) around a few towns.
Server side: the manager's GET /manager/map/frame through Django's test Client, in process
(selectors + folium build + render + gzip), plus the split between the three. Browser side: a
threaded WSGI server on 127.0.0.1 and Debian's chromium via Playwright; the clock runs from
the frame's navigation start until the first cluster icon is in the DOM, and tiles come from a
local stub. Aim (issue 8): under 2 s on the server, under 3 s in the browser.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

WEST, SOUTH, EAST, NORTH = 2.0, 48.4, 3.0, 49.2  # ~75 km x 90 km around Paris
COLS, ROWS = 5, 4
TOWNS = [(48.857, 2.352, 0.06), (48.80, 2.13, 0.03), (49.05, 2.08, 0.03), (48.63, 2.44, 0.03),
         (48.95, 2.75, 0.04), (49.10, 2.60, 0.02), (48.55, 2.90, 0.02)]  # fmt: skip
STATUSES = ("lead", "lead", "prospect", "customer", "customer", "customer", "churned")


def setup_django(db_path: str) -> None:
    os.environ["DATABASE_URL"] = f"spatialite:///{db_path}"
    os.environ.setdefault("FIELDCRM_SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop, sync ORM
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

    call_command("migrate", verbosity=0)


def make_region(n_reps: int = 8) -> tuple[Any, list[Any]]:
    """The manager, their region and its territories (a grid), one rep per territory."""
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from fieldcrm.territories.models import Region, Territory
    from fieldcrm.users.models import User

    manager = User.objects.create_user("manager", password="x", role=User.Role.MANAGER)
    region = Region.objects.create(
        name="Île-de-France", manager=manager,
        boundary=MultiPolygon(Polygon.from_bbox((WEST, SOUTH, EAST, NORTH)), srid=4326),
    )  # fmt: skip
    manager.regions.add(region)
    reps = [User.objects.create_user(f"rep{i}", password="x", role=User.Role.REP,
                                     first_name=f"Rep {i}") for i in range(n_reps)]  # fmt: skip
    territories = []
    dx, dy = (EAST - WEST) / COLS, (NORTH - SOUTH) / ROWS
    for r in range(ROWS):
        for c in range(COLS):
            box = (WEST + c * dx, SOUTH + r * dy, WEST + (c + 1) * dx, SOUTH + (r + 1) * dy)
            t = Territory.objects.create(
                name=f"T{r}{c}", region=region,
                boundary=MultiPolygon(Polygon.from_bbox(box), srid=4326),
            )  # fmt: skip
            t.reps.set([reps[(r * COLS + c) % n_reps]])
            territories.append(t)
    return manager, territories


def load_accounts(n: int, territories: list[Any]) -> float:
    """Bulk insert ``n`` accounts (executemany + MakePoint), territory set from the grid."""
    from django.db import connection, transaction

    from bench.accounts_geo import _template  # every column with a fresh account's value

    columns, template = _template()
    at = {name: i for i, name in enumerate(columns)}
    marks = ", ".join("MakePoint(%s, %s, 4326)" if c == "location" else "%s" for c in columns)
    sql = f"INSERT INTO accounts_account ({', '.join(columns)}) VALUES ({marks})"
    rnd = random.Random(1)
    now = dt.datetime.now(dt.UTC)
    dx, dy = (EAST - WEST) / COLS, (NORTH - SOUTH) / ROWS
    started = time.perf_counter()
    batch: list[list[Any]] = []
    for i in range(n):
        lat, lng, sigma = TOWNS[rnd.randrange(len(TOWNS))] if rnd.random() < 0.8 else (0, 0, 0)
        if sigma:
            lat, lng = rnd.gauss(lat, sigma), rnd.gauss(lng, sigma * 1.5)
        lat = min(max(lat, SOUTH + 1e-4), NORTH - 1e-4) if sigma else rnd.uniform(SOUTH, NORTH)
        lng = min(max(lng, WEST + 1e-4), EAST - 1e-4) if sigma else rnd.uniform(WEST, EAST)
        row = list(template)
        row[at["id"]] = f"{rnd.getrandbits(128):032x}"
        row[at["name"]] = f"Shop {i}"
        row[at["status"]] = rnd.choice(STATUSES)
        cell = min(int((lat - SOUTH) / dy), ROWS - 1) * COLS + min(int((lng - WEST) / dx), COLS - 1)
        row[at["territory_id"]] = territories[cell].pk
        row[at["visit_frequency_days"]] = rnd.choice([None, 14, 30, 90])
        days = rnd.choice([None, rnd.randint(0, 200)])
        last = None if days is None else now - dt.timedelta(days=days)
        row[at["last_visited_at"]] = connection.ops.adapt_datetimefield_value(last)
        loc = at["location"]
        batch.append(row[:loc] + [lng, lat] + row[loc + 1 :])
        if len(batch) >= 20_000 or i == n - 1:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch.clear()
    return time.perf_counter() - started


def measure_server(client: Any, manager: Any, runs: int) -> dict[str, Any]:
    """Full request timings, plus one split run: selectors, folium build, render."""
    from django.conf import settings

    from fieldcrm.manager.selectors import MapFilters, map_data
    from maps import territory_map

    times, raw, zipped = [], 0, 0
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get("/manager/map/frame", headers={"accept-encoding": "gzip"})
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
        zipped = len(response.content)
        raw = len(gzip.decompress(response.content))
    page_start = time.perf_counter()
    page = client.get("/manager/map")
    page_s = time.perf_counter() - page_start
    t0 = time.perf_counter()
    data = map_data(actor=manager, filters=MapFilters())
    t1 = time.perf_counter()
    m = territory_map(data, static_url=settings.STATIC_URL, tile_url=settings.FIELDCRM_TILE_URL,
                      tile_attribution="x", draw=True)  # fmt: skip
    t2 = time.perf_counter()
    m.get_root().render()
    t3 = time.perf_counter()
    return {
        "frame_s": times, "page_s": page_s, "page_bytes": len(page.content),
        "raw_bytes": raw, "gzip_bytes": zipped, "points": len(data.accounts),
        "split": {"selectors": t1 - t0, "build": t2 - t1, "render": t3 - t2},
    }  # fmt: skip


class _Server:
    """Django behind a threaded WSGI server on 127.0.0.1, static files included, quiet."""

    def __enter__(self) -> str:
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
        from django.core.wsgi import get_wsgi_application

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
        self.httpd.set_app(StaticFilesHandler(get_wsgi_application()))
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


CLUSTER_DRAWN = "() => document.querySelector('.fieldcrm-cluster') ? performance.now() : false"


def measure_browser(session: str, runs: int) -> list[dict[str, float]]:
    """Per run, in ms from the frame's navigation start: first byte, last byte, first cluster."""
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    results = []
    with _Server() as base, sync_playwright() as pw:
        settings.FIELDCRM_TILE_URL = (
            f"{base}/static/vendor/leaflet/images/layers.png?z={{z}}&x={{x}}&y={{y}}"
        )
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            page.goto(f"{base}/manager/map/frame", wait_until="commit", timeout=120_000)
            drawn = page.wait_for_function(CLUSTER_DRAWN, polling="raf", timeout=120_000)
            nav = page.evaluate(
                "(() => { const n = performance.getEntriesByType('navigation')[0];"
                " return [n.responseStart, n.responseEnd, n.encodedBodySize]; })()"
            )
            assert not errors, errors
            results.append({"first_byte": nav[0], "last_byte": nav[1],
                            "clusters": drawn.json_value(), "wire_bytes": nav[2]})  # fmt: skip
            context.close()
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="10,000 accounts, 2 runs")
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    n = args.accounts or (10_000 if args.smoke else 100_000)
    runs = args.runs or (2 if args.smoke else 3)
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-") as tmp:
        setup_django(f"{tmp}/bench.db")
        from django.test import Client

        manager, territories = make_region()
        load_s = load_accounts(n, territories)
        client = Client()
        client.force_login(manager)
        server = measure_server(client, manager, runs)
        browser = measure_browser(client.cookies["sessionid"].value, runs)

    frame = statistics.median(server["frame_s"])
    print(f"{n:,} accounts in one region (SpatiaLite), {server['points']:,} on the map "
          f"(lead/prospect/customer); loaded in {load_s:.1f} s")  # fmt: skip
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"server  GET /manager/map/frame  median {frame:.2f} s, "
          f"best {min(server['frame_s']):.2f} s; runs "
          + " ".join(f"{t:.2f}" for t in server["frame_s"])
          + f"  (aim < 2 s: {'ok' if frame < 2 else 'MISSED'})")  # fmt: skip
    split = server["split"]
    print(f"        split: selectors {split['selectors']:.2f} s, folium build "
          f"{split['build']:.2f} s, render {split['render']:.2f} s")  # fmt: skip
    print(f"        GET /manager/map (the page around the frame) {server['page_s']:.3f} s, "
          f"{server['page_bytes'] / 1e3:.1f} kB")  # fmt: skip
    print(
        f"bytes   frame HTML {server['raw_bytes'] / 1e6:.2f} MB raw, "
        f"{server['gzip_bytes'] / 1e6:.2f} MB gzip (sent gzip to browsers that accept it)"
    )
    for i, r in enumerate(browser, 1):
        after = (r["clusters"] - r["first_byte"]) / 1e3
        print(f"browser run {i}: first byte {r['first_byte'] / 1e3:.2f} s, last byte "
              f"{r['last_byte'] / 1e3:.2f} s, clusters drawn {r['clusters'] / 1e3:.2f} s after "
              f"navigation start ({after:.2f} s after the first byte); "
              f"{r['wire_bytes'] / 1e6:.2f} MB on the wire")  # fmt: skip
    afters = [(r["clusters"] - r["first_byte"]) / 1e3 for r in browser]
    best = statistics.median(afters)
    print(
        f"browser median from first byte to clusters {best:.2f} s, best {min(afters):.2f} s "
        f"(aim < 3 s: {'ok' if best < 3 else 'MISSED'}); wall {time.perf_counter() - wall:.0f} s"
    )


if __name__ == "__main__":
    main()
