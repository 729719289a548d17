"""What an upgrade from the previous release costs at scale: each migration's time (issue 23).

Run: .venv/bin/python bench/migrations.py [--smoke] [--accounts 100000,1000000]
     [--backend spatialite|postgis|both]

For each size, per backend, in a child process: a new database migrated to the previous
release (the migration state at commit 315d704, as tests/deploy/test_upgrade.py), N accounts
(a third with an e-mail, a third with a phone), N contacts, N activities and N visits (one of
each per account) written through that release's models, then `migrate` to the current code,
timing each migration (from Django's own "apply start"/"apply success" callbacks). Printed:
the migrations that took at least 0.5 s at some size, and the whole upgrade.

Measured 2026-12-01 on the shared 2-core machine, other agents' suites running (the load
average in brackets), after accounts.0007 became batched and search.0002 builds its index
after its rows. The whole upgrade: SpatiaLite 100,000 71 s (2-14), PostGIS 100,000 140 s
(13-15), PostGIS 1,000,000 461 s (6-17). accounts.0007_duplicate_keys 13 s / 52 s / 142 s,
search.0002_backend_index 29 s / 81 s / 306 s, every other migration under 6 s. Seeding (not
part of it) 85 s / 242 s / 1,647 s. The previous code's one UPDATE per account, same bench,
same hour, PostGIS 100,000: 165 s for accounts.0007 (208 s the whole upgrade).
SpatiaLite 1,000,000, 2026-12-01 23:05 to 00:43 UTC, load 3-7 (its last quarter at the lowest
CPU priority): the whole upgrade 3,005 s; accounts.0007 589 s, search.0002 679 s,
accounts.0008 322 s, accounts.0006 297 s, visits.0006 276 s, accounts.0005 135 s, every other
8-49 s (each pays SQLite's foreign_key_check over the whole database); seeding 2,574 s. The
README has the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.database import postgis_cluster  # noqa: E402
from tests.harness.env import child_json  # noqa: E402

PREVIOUS = "315d704"
PER_TERRITORY = 1000
BATCH = 5000


def previous_release() -> list[tuple[str, str]]:
    """The newest migration of each app at the previous release (its migration state)."""
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", PREVIOUS, "fieldcrm/"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    newest: dict[str, str] = {}
    for path in listed:
        parts = path.split("/")
        if len(parts) == 4 and parts[2] == "migrations" and parts[3][:4].isdigit():
            app, name = parts[1], parts[3].removesuffix(".py")
            newest[app] = max(newest.get(app, name), name)
    return sorted(newest.items())


def seed(old_apps: Any, size: int) -> None:
    """N accounts with one contact, activity and visit each, through the old release's models
    (the current ones have columns the old schema lacks)."""
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.utils import timezone

    Region = old_apps.get_model("territories", "Region")
    Territory = old_apps.get_model("territories", "Territory")
    Account = old_apps.get_model("accounts", "Account")
    Contact = old_apps.get_model("accounts", "Contact")
    Activity = old_apps.get_model("accounts", "Activity")
    Visit = old_apps.get_model("visits", "Visit")
    User = old_apps.get_model("users", "User")
    rep = User.objects.create(username="bench-rep", role="rep", password="!")
    region = Region.objects.create(name="Bench")
    now = timezone.now()
    for t in range(size // PER_TERRITORY):
        x, y = (t % 1000) * 0.01, (t // 1000) * 0.01
        territory = Territory.objects.create(
            name=f"T{t}", region=region,
            boundary=MultiPolygon(Polygon.from_bbox((x, y, x + 0.01, y + 0.01)), srid=4326),
        )  # fmt: skip
        n = t * PER_TERRITORY
        accounts = [
            Account(
                name=f"Shop {n + i}", territory=territory, status="customer",
                location=Point(x + 0.005, y + 0.005, srid=4326),
                email=f"Shop.{n + i}@Example.com" if i % 3 == 0 else "",
                phone=f"+34 600 {n + i:07d}" if i % 3 == 1 else "",
            )
            for i in range(PER_TERRITORY)
        ]  # fmt: skip
        Account.objects.bulk_create(accounts, batch_size=BATCH)
        Contact.objects.bulk_create(
            [Contact(account=a, name=f"Owner of {a.name}") for a in accounts], batch_size=BATCH
        )
        Activity.objects.bulk_create(
            [Activity(account=a, kind="note", occurred_at=now, subject="Called") for a in accounts],
            batch_size=BATCH,
        )
        Visit.objects.bulk_create(
            [Visit(account=a, rep=rep, status="done", scheduled_on=now.date()) for a in accounts],
            batch_size=BATCH,
        )


def child(size: int) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    old = previous_release()
    connection.prepare_database()  # as `migrate` does (SpatiaLite: its spatial metadata)
    executor = MigrationExecutor(connection)
    executor.migrate(old)
    executor.loader.build_graph()
    old_apps = executor.loader.project_state(old).apps
    started = time.perf_counter()
    seed(old_apps, size)
    seeded = time.perf_counter() - started

    timings: dict[str, float] = {}
    began: dict[str, float] = {}

    def progress(action: str, migration: Any = None, fake: bool = False) -> None:
        if migration is None:
            return
        key = f"{migration.app_label}.{migration.name}"
        if action == "apply_start":
            began[key] = time.perf_counter()
        elif action == "apply_success":
            timings[key] = time.perf_counter() - began[key]

    executor = MigrationExecutor(connection, progress)
    leaves = executor.loader.graph.leaf_nodes()
    started = time.perf_counter()
    executor.migrate(leaves)
    total = time.perf_counter() - started
    return {"accounts": size, "seed_s": seeded, "upgrade_s": total, "migrations": timings}


def run_backend(url: str, size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = SimpleNamespace(url=url, workdir=Path(tmp))
        return child_json(db, __file__, "--child", str(size), timeout=4 * 3600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a small size")
    parser.add_argument("--accounts", default="100000,1000000")
    parser.add_argument("--backend", default="both", choices=["spatialite", "postgis", "both"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child))))
        return 0
    sizes = [2000] if args.smoke else [int(s) for s in args.accounts.split(",")]
    results: list[tuple[str, dict[str, Any]]] = []
    for size in sizes:  # a new database per size: each upgrade starts from the old release
        if args.backend in ("spatialite", "both"):
            with tempfile.TemporaryDirectory() as tmp:
                results.append(("spatialite", run_backend(f"spatialite:///{tmp}/b.db", size)))
                print(json.dumps(results[-1]), flush=True)  # kept if a later run fails
        if args.backend in ("postgis", "both"):
            with postgis_cluster() as url:
                results.append(("postgis", run_backend(url, size)))
                print(json.dumps(results[-1]), flush=True)
    slow = sorted({m for _, r in results for m, s in r["migrations"].items() if s >= 0.5})
    heads = [f"{label[:5]} {r['accounts']:,}" for label, r in results]
    print(f"{'migration':42}" + "".join(f"{h:>16}" for h in heads))
    for name in slow:
        print(f"{name:42}" + "".join(f"{r['migrations'].get(name, 0):>15.1f}s" for _, r in results))
    print(f"{'whole upgrade':42}" + "".join(f"{r['upgrade_s']:>15.1f}s" for _, r in results))
    print(
        f"{'(seeding, not part of it)':42}" + "".join(f"{r['seed_s']:>15.1f}s" for _, r in results)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
