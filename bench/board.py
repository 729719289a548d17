"""The deal board with 2,000 open deals: server time to render it (issue 16; aim < 1 s).

Run: .venv/bin/python bench/board.py [--smoke] [--deals 2000] [--runs 15]
     [--backend spatialite|postgis|both]

Per backend, in a child process on a fresh migrated database: a region with a manager, 200
accounts, a pipeline of four open stages and a won and a lost one, and ``--deals`` open deals
spread over the open stages (three currencies, owners, close months over a year), plus 200
won and 200 lost. The manager's browser session asks for /crm/deals/board/ ``--runs`` times
(after one warm-up), unfiltered and then filtered by owner and close month; the figure is the
server's own time (its Server-Timing header: scope, the columns' cards with their move forms,
the totals per currency, the forecast by close month, the template) as p50/p95/max, with the
queries of one render.

Measured 2026-12-03 10:00-10:15 UTC on the shared 2-core box (load average 0.2-3.5, other
engineers' work running), 2,000 open deals (+ 400 closed), 15 runs, 50 cards a column:
  spatialite unfiltered p50 218 ms, p95 487 ms (300 cards, 334 KB, 21 queries);
             owner + close month p50 50 ms, p95 64 ms;
  postgis    unfiltered p50 281 ms, p95 441 ms; owner + close month p50 69 ms, p95 79 ms.
Before (200 cards a column, each a Django form): 600 deals took 2.7 s on SpatiaLite.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.database import drop_database, migrated_database, postgis_cluster  # noqa: E402
from tests.harness.env import child_json  # noqa: E402

ACCOUNTS = 200
CLOSED = 200  # won, and as many lost


def measure(deals: int, runs: int) -> dict:
    """Runs in a child process (settings read DATABASE_URL once)."""
    import datetime as dt
    from decimal import Decimal

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.gis.geos import Point
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from fieldcrm.accounts.models import Account
    from fieldcrm.deals.models import Deal, Pipeline, Stage
    from fieldcrm.territories.models import Region, Territory
    from fieldcrm.territories.services import territory_save
    from fieldcrm.users.models import User
    from tests.factories import square

    settings.ALLOWED_HOSTS = ["testserver"]
    region = Region.objects.create(name="Bench", boundary=square(1.0, 42.0, 1.1, 42.1))
    territory = territory_save(
        territory=Territory(name="Bench A", region=region, boundary=square(1.0, 42.0, 1.1, 42.1))
    )
    manager = User.objects.create(username="bench-manager", role="manager")
    region.members.add(manager)
    reps = [User.objects.create(username=f"bench-rep{i}", role="rep") for i in range(8)]
    territory.reps.add(*reps)
    accounts = Account.objects.bulk_create(
        Account(name=f"Shop {i}", territory=territory, owner=reps[i % len(reps)],
                location=Point(1.0 + (i % 20) * 0.005, 42.0 + (i // 20) * 0.005, srid=4326))
        for i in range(ACCOUNTS)
    )  # fmt: skip
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    kinds = [("New", "open", 10), ("Qualified", "open", 30), ("Offer", "open", 60),
             ("Negotiation", "open", 80), ("Won", "won", 100), ("Lost", "lost", 0)]  # fmt: skip
    stages = [Stage.objects.create(pipeline=pipeline, name=n, position=i, outcome=o,
                                   probability=p) for i, (n, o, p) in enumerate(kinds)]  # fmt: skip
    today = timezone.localdate()
    now = timezone.now()

    def deal(n: int, stage: Stage, closed: bool) -> Deal:
        return Deal(
            account=accounts[n % ACCOUNTS], name=f"Deal {n}", pipeline=pipeline, stage=stage,
            amount=Decimal(100 + n % 900) + Decimal("0.25"),
            currency=("EUR", "USD", "VND")[n % 3], owner=reps[n % len(reps)],
            expected_close_on=today + dt.timedelta(days=(n * 7) % 365),
            closed_at=now - dt.timedelta(days=n % 300) if closed else None,
        )  # fmt: skip

    Deal.objects.bulk_create(deal(n, stages[n % 4], False) for n in range(deals))
    Deal.objects.bulk_create(deal(deals + n, stages[4 + n % 2], True) for n in range(2 * CLOSED))
    client = Client()
    client.force_login(manager)
    month = (today + dt.timedelta(days=60)).strftime("%Y-%m")
    out: dict = {"deals": deals}
    for label, url in (
        ("unfiltered", "/crm/deals/board/"),
        ("owner + close month", f"/crm/deals/board/?owner={reps[0].pk}&close_month={month}"),
    ):
        client.get(url)  # warm
        times = []
        for _ in range(runs):
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            match = re.search(r"dur=([\d.]+)", response.headers.get("Server-Timing", ""))
            times.append(float(match.group(1)) if match else float("nan"))
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        times.sort()
        out[label] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1),
            "max_ms": round(times[-1], 1),
            "queries": len(queries.captured_queries),
            "cards": html.count('<li class="crm-deal'),
            "kb": round(len(html) / 1024),
        }
    return out


def run_backend(label: str, base_url: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-") as tmp:
        db = migrated_database(base_url, Path(tmp))
        try:
            result = child_json(db, __file__, f"--child={args.deals},{args.runs}")
        finally:
            drop_database(db)
    return {"backend": label, **result}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="200 deals, 3 runs")
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--backend", default="spatialite", choices=["spatialite", "postgis", "both"]
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        deals, runs = (int(v) for v in args.child.split(","))
        print(json.dumps(measure(deals, runs)))
        return 0
    if args.smoke:
        args.deals, args.runs = 200, 3
    results = []
    if args.backend in ("spatialite", "both"):
        results.append(run_backend("spatialite", "spatialite:///unused.db", args))
    if args.backend in ("postgis", "both"):
        with postgis_cluster() as url:
            results.append(run_backend("postgis", url, args))
    ok = True
    for r in results:
        for label in ("unfiltered", "owner + close month"):
            m = r[label]
            ok = ok and m["p95_ms"] < 1000
            print(f"{r['backend']:10} {r['deals']} open deals, board {label}: server time "
                  f"p50 {m['p50_ms']} ms, p95 {m['p95_ms']} ms, max {m['max_ms']} ms; "
                  f"{m['queries']} queries, {m['cards']} cards, {m['kb']} KB"
                  " (aim < 1,000 ms)")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
