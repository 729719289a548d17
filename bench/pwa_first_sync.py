"""First sync of the phone app on a slow network (issue 6).

Run: .venv/bin/python bench/pwa_first_sync.py [--smoke] [--accounts 5000]
     [--backend spatialite|postgis]

A rep whose territories hold N accounts (default 5,000, one contact each, and today's route of
ten stops) opens /app/ on a fresh phone: Debian's chromium at 360×640 with the network throttled
through the DevTools protocol (Network.emulateNetworkConditions) to DevTools' classic "Slow 3G"
profile (2 s latency, 400 kbit/s each way). Measures:

- app shell: the bytes the shell and its precached files take on the wire as served, and
  gzip-compressed (what a compressing front server sends);
- first sync: pull pages, payload bytes (raw and gzip-compressed), time until Today shows the
  route (usable: the stops listed with their accounts, from the head start GET /sync/today)
  and until the whole first sync is stored.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.bench_app import (  # noqa: E402
    PASSWORD,
    SPATIALITE,
    bench_main,
    log_in,
    phone_browser,
    served,
)
from tests.harness.database import postgis_cluster  # noqa: E402

# DevTools' classic "Slow 3G": 2,000 ms latency, 500 kbit/s × 0.8 each way (bytes per second).
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 51_200,
           "uploadThroughput": 51_200}  # fmt: skip


def setup_data(accounts: int) -> dict:
    """Child process: a territory with ``accounts`` accounts and contacts, a route for today."""
    import datetime as dt

    from django.contrib.gis.geos import Point
    from django.db import transaction
    from django.utils import timezone

    from fieldcrm.accounts.models import Account, Contact
    from fieldcrm.core.models import ChangeCounter, next_change_seq
    from fieldcrm.territories.models import Region, Territory
    from fieldcrm.territories.services import territory_save
    from fieldcrm.users.models import User
    from fieldcrm.visits.models import Visit
    from tests.factories import square

    region = Region.objects.create(name="Bench", boundary=square(1.0, 42.0, 1.5, 42.5))
    territory = territory_save(
        territory=Territory(name="Bench", region=region, boundary=square(1.0, 42.0, 1.5, 42.5))
    )
    rep = User(username="bench-rep", role="rep")
    rep.set_password(PASSWORD)
    rep.save()
    territory.reps.set([rep])
    # Bulk load (the services take ~30 ms an account): each row still gets its own change number.
    with transaction.atomic():
        base = next_change_seq()
        ChangeCounter.objects.filter(pk=1).update(value=base + 2 * accounts)
        now = timezone.now()
        rows = [
            Account(
                name=f"Shop {i:05d}", status="customer", territory=territory,
                address=f"Carrer {i % 300} {i % 90}", phone=f"+376 {800000 + i}",
                location=Point(1.0 + (i % 100) * 0.005, 42.0 + (i // 100) * 0.009, srid=4326),
                change_seq=base + i, created_at=now, updated_at=now,
            )
            for i in range(accounts)
        ]  # fmt: skip
        Account.objects.bulk_create(rows, batch_size=1000)
        Contact.objects.bulk_create(
            [Contact(account=a, name=f"Owner {i}", phone=f"+376 {600000 + i}",
                     change_seq=base + accounts + i, created_at=now, updated_at=now)
             for i, a in enumerate(rows)],
            batch_size=1000,
        )  # fmt: skip
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    for n, account in enumerate(rows[:10], start=1):
        Visit.objects.create(
            account=account, rep=rep, scheduled_on=dt.datetime.now(dt.UTC).date(),
            route_sequence=n, planned_arrival_at=start + dt.timedelta(minutes=30 * n),
        )  # fmt: skip
    return {"username": rep.username}


def _gzip_len(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def shell_sizes(base: str, session) -> dict:
    """The shell and every precached file: bytes as served and gzip-compressed."""
    text = session.get(f"{base}/app/precache.js").text
    entries = json.loads(text.split("self.FIELDCRM_PRECACHE = ", 1)[1].split(";\n", 1)[0])
    urls = [e["url"] for e in entries] + [
        "/serviceworker.js",
        "/app/precache.js",
        "/manifest.json",
        "/static/vendor/workbox/workbox-sw.js",
    ]
    urls += [
        f"/static/vendor/workbox/workbox-{m}.prod.js"
        for m in ("core", "routing", "strategies", "precaching", "expiration", "cacheable-response")
    ]
    raw = gz = 0
    for url in urls:
        body = session.get(f"{base}{url}").content
        raw += len(body)
        gz += _gzip_len(body)
    return {"files": len(urls), "raw_bytes": raw, "gzip_bytes": gz}


def pull_sizes(base: str, session) -> dict:
    cursor, pages, raw, gz = 0, 0, 0, 0
    while True:
        response = session.get(f"{base}/api/v1/sync/pull?cursor={cursor}&limit=2000")
        body = response.content
        pages, raw, gz = pages + 1, raw + len(body), gz + _gzip_len(body)
        data = response.json()
        cursor = data["cursor"]
        if not data["more"]:
            return {"pages": pages, "raw_bytes": raw, "gzip_bytes": gz}


def browser_first_sync(base: str, username: str) -> dict:
    from playwright.sync_api import sync_playwright

    with (
        sync_playwright() as pw,
        phone_browser(pw, timeout_ms=30_000, has_touch=True) as (
            context,
            page,
        ),
    ):
        # Log in on the fast network; the phone then opens the app on a slow one.
        log_in(page, base, username)
        page.wait_for_url("**/app/**")
        page.evaluate("indexedDB.deleteDatabase('fieldcrm')")
        page.evaluate(
            "navigator.serviceWorker.getRegistrations()"
            ".then(rs => Promise.all(rs.map(r => r.unregister())))"
        )
        page.goto("about:blank")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        wire: dict[str, int] = {}
        urls: dict[str, str] = {}
        cdp.on(
            "Network.responseReceived",
            lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]),
        )
        cdp.on("Network.loadingFinished",
               lambda e: wire.__setitem__(e["requestId"], int(e["encodedDataLength"])))  # fmt: skip
        t0 = time.perf_counter()
        page.goto(f"{base}/app/", timeout=300_000, wait_until="commit")
        # Each moment is taken when first seen, polled over the DevTools connection (not
        # throttled), so one milestone never waits for another.
        probe = """() => {
          const box = document.getElementById('sync-indicator');
          const list = document.querySelector('ol[aria-label]');
          return {
            ready: document.documentElement.dataset.ready === '1',
            page: Number(box?.dataset.pages || 0) >= 1 || Number(box?.dataset.syncs || 0) >= 1,
            usable: Boolean(list && list.querySelector('li a')),
            synced: Number(box?.dataset.syncs || 0) >= 1,
          };
        }"""
        seen: dict[str, float] = {}
        while len(seen) < 4 and time.perf_counter() - t0 < 600:
            try:
                state = page.evaluate(probe)
            except Exception:  # navigation in progress
                state = {}
            for key, value in state.items():
                if value and key not in seen:
                    seen[key] = time.perf_counter() - t0
            time.sleep(0.05)
        shell_s, first_page_s = seen.get("ready", -1), seen.get("page", -1)
        usable_s, synced_s = seen.get("usable", -1), seen.get("synced", -1)
        stored = page.evaluate(
            """() => new Promise((resolve) => {
                const open = indexedDB.open('fieldcrm');
                open.onsuccess = () => {
                    const req = open.result.transaction('accounts').objectStore('accounts').count();
                    req.onsuccess = () => resolve(req.result);
                };
            })"""
        )
    by_kind = {"pull": 0, "other": 0}
    for request_id, size in wire.items():
        by_kind["pull" if "/sync/pull" in urls.get(request_id, "") else "other"] += size
    return {
        "shell_ready_s": round(shell_s, 1),
        "first_page_s": round(first_page_s, 1),
        "usable_s": round(usable_s, 1),
        "first_sync_s": round(synced_s, 1),
        "accounts_stored": stored,
        "wire_pull_bytes": by_kind["pull"],
        "wire_other_bytes": by_kind["other"],
    }


def run(base_url: str, args: argparse.Namespace) -> dict:
    with served(__file__, f"--accounts={args.accounts}", base_url=base_url) as (base, made):
        return measure(base, made["username"], args)


def measure(base: str, username: str, args: argparse.Namespace) -> dict:
    import requests

    session = requests.Session()
    session.get(f"{base}/api/v1/auth/csrf")
    session.post(
        f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD},
        headers={"X-CSRFToken": session.cookies["csrftoken"]},
    ).raise_for_status()  # fmt: skip
    result = {"accounts": args.accounts,
              "shell": shell_sizes(base, session),
              "pull": pull_sizes(base, session)}  # fmt: skip
    result["browser"] = browser_first_sync(base, username)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="300 accounts")
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--backend", choices=["spatialite", "postgis"], default="spatialite")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    child = bench_main(args.child, lambda: setup_data(args.accounts))
    if child is not None:
        return child
    if args.smoke:
        args.accounts = 300
    # Served as deployed: the settings' GZipMiddleware compresses the answers.
    if args.backend == "postgis":
        with postgis_cluster() as url:
            r = run(url, args)
    else:
        r = run(SPATIALITE, args)
    report(r)
    return 0 if r["browser"]["accounts_stored"] == r["accounts"] else 1


def report(r: dict) -> None:
    s, p, b = r["shell"], r["pull"], r["browser"]
    print(
        f"app shell: {s['files']} files, {s['raw_bytes'] / 1024:.0f} KiB as served, "
        f"{s['gzip_bytes'] / 1024:.0f} KiB gzip-compressed"
    )
    print(
        f"first sync of {r['accounts']} accounts: {p['pages']} pages, "
        f"{p['raw_bytes'] / 1024:.0f} KiB as served, {p['gzip_bytes'] / 1024:.0f} KiB gzip"
    )
    print(
        f"chromium on Slow 3G (2 s RTT, 400 kbit/s): shell ready {b['shell_ready_s']} s, "
        f"first pull page stored {b['first_page_s']} s, "
        f"Today usable {b['usable_s']} s, first sync stored {b['first_sync_s']} s "
        f"({b['accounts_stored']} accounts in IndexedDB; on the wire: pull "
        f"{b['wire_pull_bytes'] / 1024:.0f} KiB, other {b['wire_other_bytes'] / 1024:.0f} KiB)"
    )


if __name__ == "__main__":
    sys.exit(main())
