"""Search over a large table (issue 16): p50 / p95 of ``fieldcrm.search.selectors.search`` for
a manager (a region of every account) and a rep (one territory of twenty), with queries
typed without diacritics, with a typo, and by phone number.

Run: .venv/bin/python bench/search.py [--smoke] [--accounts N] [--runs R]
     DATABASE_URL=postgis://... .venv/bin/python bench/search.py  (an empty database)

Without DATABASE_URL a temporary SpatiaLite database is made. N accounts with Vietnamese
names (family + middle + given name + a kind of shop, ~1,000 distinct full names) are
bulk-inserted without signals, then the index is built once with ``search_rebuild`` (its
time is printed too). Each query is run once to warm up, then R times; the figure is the
server-side time of the selector (candidates from pg_trgm / FTS5, ranking, access check).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Quang", "Thu", "Hữu", "Gia", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Khoa", "Lan", "Long"]
PREFIXES = ["090", "091", "093", "094", "096", "097", "098", "086", "032", "035", "070", "077"]
SHOPS = ["Cửa hàng", "Tiệm", "Quán", "Tạp hóa", "Nhà thuốc", "Siêu thị mini"]
QUERIES = [
    "nguyen van an", "tran thi", "dang duc", "tiem hoang", "quan le minh", "nguyn",
    "pham ngoc hai", "vo kim", "nha thuoc", "huynh gia khoa", "091 234", "sieu thi",
]  # fmt: skip


def setup(n: int) -> tuple[object, object, float]:
    import django

    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from fieldcrm.accounts.models import Account
    from fieldcrm.search.services import search_rebuild
    from fieldcrm.territories.models import Region, Territory
    from fieldcrm.users.models import User

    manager = User.objects.create_user("manager", password="x", role=User.Role.MANAGER)
    box = MultiPolygon(Polygon.from_bbox((105.0, 20.0, 106.0, 21.0)), srid=4326)
    region = Region.objects.create(name="Hà Nội", manager=manager, boundary=box)
    manager.regions.add(region)
    rep = User.objects.create_user("rep", password="x", role=User.Role.REP)
    territories = [Territory.objects.create(name=f"T{i}", region=region, boundary=box)
                   for i in range(20)]  # fmt: skip
    territories[0].reps.add(rep)
    rng = random.Random(16)
    batch = []
    for i in range(n):
        name = " ".join([rng.choice(SHOPS), rng.choice(FAMILY), rng.choice(MIDDLE),
                         rng.choice(GIVEN)])  # fmt: skip
        batch.append(Account(
            name=f"{name} {i % 97}", address=f"{i % 300} Phố {rng.choice(GIVEN)}",
            phone=f"{rng.choice(PREFIXES)} {rng.randrange(1000):03d} {rng.randrange(10000):04d}",
            territory_id=territories[i % 20].pk,
        ))  # fmt: skip
        if len(batch) == 5000:
            Account.all_objects.bulk_create(batch)
            batch.clear()
    Account.all_objects.bulk_create(batch)
    started = time.perf_counter()
    search_rebuild()
    return manager, rep, time.perf_counter() - started


def measure(user: object, runs: int) -> tuple[float, float, float]:
    from fieldcrm.search.selectors import search

    times = []
    hits = []
    for q in QUERIES:
        search(actor=user, q=q, limit=20)  # type: ignore[arg-type]
        for _ in range(runs):
            started = time.perf_counter()
            hits.append(len(search(actor=user, q=q, limit=20)))  # type: ignore[arg-type]
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, statistics.mean(hits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="5,000 accounts, 2 runs")
    args = parser.parse_args()
    if args.smoke:
        args.accounts, args.runs = 5_000, 2
    os.environ.setdefault("FIELDCRM_SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("DATABASE_URL", f"spatialite:///{tmp}/search.db")
        manager, rep, built = setup(args.accounts)
        from django.db import connection

        print(
            f"search bench: {args.accounts:,} accounts on {connection.vendor}, "
            f"{len(QUERIES)} queries x {args.runs} runs; index built in {built:.1f} s"
        )
        for label, user in (
            ("manager (every account)", manager),
            ("rep (1 of 20 territories)", rep),
        ):
            p50, p95, hits = measure(user, args.runs)
            print(f"  {label:28} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   mean hits {hits:.1f}")


if __name__ == "__main__":
    main()
