"""Backup, verify and restore times and the archive's size, by database size (issue 23).

Run: .venv/bin/python bench/backup.py [--smoke] [--accounts 100000,1000000]
     [--backend spatialite|postgis|both]

For each size: N accounts (with locations, in territories), then `backup` (snapshot, archive,
encryption), `--verify` (decrypt, checksums, restore into a scratch database, compare rows per
table) and `restore --force` into the same database, each timed in a child process per backend
(one child per size, going on from the accounts the one before left).

Measured 2026-12-01 on the shared 2-core machine under a load average of 14-16 (other agents'
suites and benches running; a quiet machine should be several times faster):

    backend     accounts archive MB  backup s  verify s restore s
    spatialite   100,000       12.7      29.3      24.3      14.1
    postgis      100,000        3.6       9.4      16.4      15.7

Measured 2026-12-01 21:00-21:23 UTC, `--accounts 1000000 --backend postgis`, load average 6-19
(its processes given CPU priority, autogroup nice -19):

    backend     accounts archive MB  backup s  verify s restore s
    postgis    1,000,000       34.9      13.9     106.0      78.7

Measured 2026-12-01 21:26-21:51 UTC, `--accounts 1000000 --backend spatialite`, at the lowest CPU
priority (autogroup nice 19) beside a CI run:

    backend     accounts archive MB  backup s  verify s restore s
    spatialite 1,000,000      121.3      22.3      21.7      12.9
"""

from __future__ import annotations

import argparse
import json
import os
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

PER_TERRITORY = 1000


def child(sizes: list[int]) -> list[dict[str, Any]]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.core.management import call_command

    from fieldcrm.accounts.models import Account
    from fieldcrm.backups import services
    from fieldcrm.territories.models import Region, Territory

    call_command("migrate", verbosity=0)
    region, _ = Region.objects.get_or_create(name="Bench")
    results, have = [], Account.objects.count()  # an earlier child's accounts are kept
    quiet = lambda _message: None  # noqa: E731
    for size in sizes:
        for t in range(have // PER_TERRITORY, size // PER_TERRITORY):
            x, y = (t % 1000) * 0.01, (t // 1000) * 0.01
            territory = Territory.objects.create(
                name=f"T{t}", region=region,
                boundary=MultiPolygon(Polygon.from_bbox((x, y, x + 0.01, y + 0.01)), srid=4326),
            )  # fmt: skip
            Account.objects.bulk_create(
                [Account(name=f"Shop {t}-{i}", territory=territory, status="customer",
                         location=Point(x + 0.005, y + 0.005, srid=4326))
                 for i in range(PER_TERRITORY)],
                batch_size=5000,
            )  # fmt: skip
        have = size
        start = time.perf_counter()
        path = services.backup_create(passphrase="bench", progress=quiet)
        made = time.perf_counter()
        services.backup_verify(path=path, passphrase="bench", progress=quiet)
        verified = time.perf_counter()
        services.backup_restore(path=path, passphrase="bench", force=True, progress=quiet)
        restored = time.perf_counter()
        assert Account.objects.count() == size
        results.append({
            "accounts": size, "archive_mb": path.stat().st_size / 1e6,
            "backup_s": made - start, "verify_s": verified - made, "restore_s": restored - verified,
        })  # fmt: skip
        path.unlink()
    return results


def run_backend(url: str, sizes: list[int], label: str) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = SimpleNamespace(url=url, workdir=Path(tmp))
        # A size at a time, each printed when done: at a million accounts on a busy machine a
        # run takes hours, and a late failure must not take the smaller sizes' figures with it.
        results = []
        for size in sizes:  # each child goes on from the accounts the one before left
            rows = child_json(db, __file__, "--child", str(size), timeout=6 * 3600)
            results.append(rows[-1])
            _print_row(label, rows[-1])
        return results


def _print_row(label: str, r: dict[str, Any]) -> None:
    print(f"{label:10} {r['accounts']:>9,} {r['archive_mb']:>10.1f} {r['backup_s']:>9.1f}"
          f" {r['verify_s']:>9.1f} {r['restore_s']:>9.1f}", flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a small size")
    parser.add_argument("--accounts", default="100000,1000000")
    parser.add_argument("--backend", default="both", choices=["spatialite", "postgis", "both"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child([int(s) for s in args.child.split(",")])))
        return 0
    sizes = [2000] if args.smoke else [int(s) for s in args.accounts.split(",")]
    print(f"{'backend':10} {'accounts':>9} {'archive MB':>10} {'backup s':>9} {'verify s':>9}"
          f" {'restore s':>9}", flush=True)  # fmt: skip
    if args.backend in ("spatialite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            run_backend(f"spatialite:///{tmp}/bench.db", sizes, "spatialite")
    if args.backend in ("postgis", "both"):
        with postgis_cluster() as url:
            run_backend(url, sizes, "postgis")
    return 0


if __name__ == "__main__":
    sys.exit(main())
