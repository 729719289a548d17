"""An order of 50 lines validated and saved: the server's p95 (issue 18; target < 100 ms).

Run: .venv/bin/python bench/orders.py [--smoke] [--orders 200] [--lines 50]
     [--backend spatialite|postgis|both]

Per backend: a fresh migrated database (a SpatiaLite file, or a throwaway PostGIS cluster)
holding a manager with an API token, an account in their region, 500 products and a price list
for the account's territory; then gunicorn serves the app and the manager posts the orders one
after another (`POST /api/v1/orders`, each line priced from the price list, a tenth of them
with a discount). The figure is the server's own time per order (its Server-Timing header:
schema validation, scoping, pricing, rounding, numbering, the lines' insert, the timeline
entry and the answer), as p50/p95/max; the database must then hold exactly the orders and
lines sent, numbered without a gap.

Measured 2026-12-01 on the shared 2-core box (load average 6-9 from other work at the time),
200 orders of 50 lines, one gunicorn worker:
  spatialite server time p50 72 ms, p95 158 ms (118 ms in an earlier run), max 382 ms
  postgis    server time p50 78 ms, p95 170 ms, max 480 ms
The p95 is over the 100 ms target under that load; the p50 is the figure a quiet server nears.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.database import drop_database, migrated_database, postgis_cluster  # noqa: E402
from tests.harness.env import child_json  # noqa: E402
from tests.harness.server import Server  # noqa: E402

PRODUCTS = 500


def setup_data() -> dict:
    """Runs in a child process (settings read DATABASE_URL once): the manager and catalogue."""
    import django

    django.setup()
    from decimal import Decimal

    from django.contrib.gis.geos import Point

    from fieldcrm.accounts.services import account_create
    from fieldcrm.orders.models import PriceList, PriceListItem, Product
    from fieldcrm.territories.models import Region, Territory
    from fieldcrm.territories.services import territory_save
    from fieldcrm.users.models import User
    from fieldcrm.users.services import token_create
    from tests.factories import square

    region = Region.objects.create(name="Bench", boundary=square(1.0, 42.0, 1.1, 42.1))
    territory = territory_save(
        territory=Territory(name="Bench A", region=region, boundary=square(1.0, 42.0, 1.1, 42.1))
    )
    manager = User.objects.create(username="bench-manager", role="manager")
    region.members.add(manager)
    account = account_create(fields={"name": "Shop", "location": Point(1.05, 42.05, srid=4326)})
    products = Product.objects.bulk_create(
        Product(sku=f"SKU-{i:05d}", name=f"Product {i}", tax_rate=Decimal(i % 3 * 5))
        for i in range(PRODUCTS)
    )
    price_list = PriceList.objects.create(name="Bench EUR", currency="EUR")
    price_list.territories.add(territory)
    PriceListItem.objects.bulk_create(
        PriceListItem(
            price_list=price_list, product=p, unit_price=Decimal(i % 97) + Decimal("0.35")
        )
        for i, p in enumerate(products)
    )
    return {
        "token": token_create(user=manager, name="bench")[1],
        "account": str(account.pk),
        "products": [str(p.pk) for p in products],
    }


def count_rows() -> dict:
    import django

    django.setup()
    from fieldcrm.orders.models import Order, OrderLine

    numbers = sorted(int(n[-4:]) for n in Order.objects.values_list("number", flat=True))
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "gapless": numbers == list(range(1, len(numbers) + 1)),
    }


def post_orders(base: str, data: dict, orders: int, lines: int) -> list[float]:
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {data['token']}"
    products = data["products"]
    server_s = []
    for n in range(orders):
        body = {
            "kind": "order", "account_id": data["account"],
            "lines": [
                {"product_id": products[(n * 7 + k) % len(products)], "quantity": str(1 + k % 9),
                 **({"discount_percent": "7.5"} if k % 10 == 0 else {})}
                for k in range(lines)
            ],
        }  # fmt: skip
        response = session.post(f"{base}/api/v1/orders", json=body, timeout=120)
        if response.status_code != 201:
            raise RuntimeError(f"order {n}: {response.status_code} {response.text[:500]}")
        server_s.append(float(response.headers["Server-Timing"].split("dur=")[1]) / 1000)
    return server_s


def run_backend(label: str, base_url: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-") as tmp:
        db = migrated_database(base_url, Path(tmp))
        try:
            data = child_json(db, __file__, "--child=setup")
            with Server(db, workers=1) as server:
                times = post_orders(server.url, data, args.orders, args.lines)
            rows = child_json(db, __file__, "--child=count")
        finally:
            drop_database(db)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    expected = {"orders": args.orders, "lines": args.orders * args.lines, "gapless": True}
    return {
        "backend": label, "orders": args.orders, "lines": args.lines,
        "p50_ms": round(statistics.median(times) * 1000, 1), "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(times[-1] * 1000, 1), "rows_ok": rows == expected, "rows": rows,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="20 orders")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument(
        "--backend", default="spatialite", choices=["spatialite", "postgis", "both"]
    )
    parser.add_argument("--child", choices=["setup", "count"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(setup_data() if args.child == "setup" else count_rows()))
        return 0
    if args.smoke:
        args.orders = 20
    results = []
    if args.backend in ("spatialite", "both"):
        results.append(run_backend("spatialite", "spatialite:///unused.db", args))
    if args.backend in ("postgis", "both"):
        with postgis_cluster() as url:
            results.append(run_backend("postgis", url, args))
    for r in results:
        print(f"{r['backend']:10} {r['orders']} orders of {r['lines']} lines: server time "
              f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms; "
              f"rows {'ok' if r['rows_ok'] else 'WRONG ' + json.dumps(r['rows'])}")  # fmt: skip
    return 0 if all(r["rows_ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
