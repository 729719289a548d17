"""Product search while taking an order on a slow phone (issue 18).

Run: .venv/bin/python bench/phone_order_search.py [--smoke] [--products 20000] [--rate 4]

Debian's chromium at 360×640, the CPU throttled (default 4×) through the DevTools protocol
(Emulation.setCPUThrottlingRate). The server holds N products (default 20,000) on one price
list for the rep's territory; the phone pulls them as it would (the catalogue entities of
fieldcrm/sync/entities.py), then goes offline and opens "Take order" on an account. Measures:

- first sync: when Today is on screen after the log-in and when the whole catalogue is in
  IndexedDB, on the local network (throttling the page through the DevTools protocol does
  not slow the service worker's fetches, so slow 3G is not measured here).
- search per keystroke over the N products: from the input event to the results list
  rebuilt and laid out (order-math.js searchCatalog, screens/order.js), over typed queries
  (a name without its diacritics, a SKU prefix, two words); median and worst; aim < 50 ms.

Not in make test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.bench_app import (  # noqa: E402
    PASSWORD,
    bench_main,
    log_in,
    phone_browser,
    served,
)

AIM_KEY_MS = 50
QUERIES = ["ca phe sua", "sku-0012", "nuoc mam 500"]
# Shop goods as Vietnamese price lists name them, in sizes: names repeat across thousands.
GOODS = [
    "Cà phê sữa", "Trà xanh", "Nước mắm", "Bánh quy", "Mì gói", "Dầu ăn", "Nước ngọt",
    "Sữa tươi", "Gạo thơm", "Đường cát", "Bột giặt", "Xà phòng", "Kẹo dừa", "Hạt điều",
]  # fmt: skip
SIZES = ["100 g", "250 g", "500 g", "1 kg", "330 ml", "1 l", "6 gói", "24 lon"]


def setup_data(products: int) -> dict:
    """Child process: a rep, their territory and one shop in it, N products on one list."""
    from decimal import Decimal

    from django.contrib.gis.geos import Point

    from fieldcrm.accounts.services import account_create
    from fieldcrm.core.models import insert_many, one_change_number
    from fieldcrm.orders.models import PriceList, PriceListItem, Product
    from fieldcrm.territories.models import Region, Territory
    from fieldcrm.territories.services import territory_save
    from fieldcrm.users.models import User
    from tests.factories import square

    box = square(1.50, 42.49, 1.55, 42.52)
    region = Region.objects.create(name="Bench", boundary=box)
    territory = territory_save(territory=Territory(name="Bench", region=region, boundary=box))
    rep = User(username="bench-rep", role="rep")
    rep.set_password(PASSWORD)
    rep.save()
    territory.reps.set([rep])
    shop = account_create(fields={"name": "Tạp hoá Minh", "location": Point(1.52, 42.50, srid=4326),
                                  "status": "customer", "territory": territory})  # fmt: skip
    goods = [
        Product(
            sku=f"SKU-{i:05d}",
            name=f"{GOODS[i % len(GOODS)]} {SIZES[(i // 14) % 8]} #{i}",
            unit="pc",
            tax_rate=Decimal("10"),
        )  # fmt: skip
        for i in range(products)
    ]
    with one_change_number():
        insert_many(goods)
        price_list = PriceList(name="Bán lẻ", currency="VND")
        price_list.save()
        price_list.territories.add(territory)
        insert_many([PriceListItem(price_list=price_list, product=p,
                                   unit_price=Decimal(1000 + (i * 37) % 90000))
                     for i, p in enumerate(goods)])  # fmt: skip
    return {"username": rep.username, "account": str(shop.pk)}


# Type a query key by key; each key's time covers the search, the results list and layout.
TYPE = """(query) => {
  const input = document.getElementById('product-search');
  const times = [];
  for (let i = 1; i <= query.length; i++) {
    const t0 = performance.now();
    input.value = query.slice(0, i);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    void document.body.offsetHeight;
    times.push(performance.now() - t0);
  }
  const found = document.querySelectorAll('#product-results li:not(.empty)').length;
  const worst = Math.max(...times), at = query.slice(0, times.indexOf(worst) + 1);
  input.value = '';
  input.dispatchEvent(new Event('input', { bubbles: true }));
  return { times, found, at };
}"""


def measure(base: str, made: dict, args: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, phone_browser(pw, timeout_ms=600_000) as (context, page):
        page.on("pageerror", lambda e: print(f"page error: {e}", file=sys.stderr))
        cdp = context.new_cdp_session(page)
        t0 = log_in(page, base, made["username"])
        page.wait_for_url("**/app/**")
        page.get_by_role("heading", name="Today").wait_for()
        today_s = time.monotonic() - t0
        page.wait_for_function(
            "async (n) => (await globalThis.fieldcrm.db.allRecords('price_items')).length >= n",
            arg=args.products,
            polling=500,
        )
        catalogue_s = time.monotonic() - t0
        # The first sync done and settled, the shop on the phone (seen missing for a moment
        # just after the first sync of a large catalogue: an open finding, see the README).
        page.wait_for_function(
            "() => Number(document.getElementById('sync-indicator')?.dataset.syncs) >= 1"
        )
        has_shop = "async (id) => !!(await globalThis.fieldcrm.db.getRecord('accounts', id))"
        page.wait_for_function(has_shop, arg=made["account"], polling=200)
        page.wait_for_timeout(3000)
        page.wait_for_function(has_shop, arg=made["account"], polling=200)
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        context.set_offline(True)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.rate})
        t1 = time.monotonic()
        order = f"#/order/{made['account']}?kind=order"
        page.evaluate("(hash) => { location.hash = hash; }", order)
        try:
            page.locator("#product-search").wait_for(timeout=300_000)
        except Exception:
            print(page.locator("#screen").inner_html()[:500], file=sys.stderr)
            raise
        open_s = time.monotonic() - t1
        typed = {q: page.evaluate(TYPE, q) for q in QUERIES}
    keys = [t for r in typed.values() for t in r["times"]]
    return {
        "products": args.products,
        "rate": args.rate,
        "today_s": round(today_s, 2),
        "catalogue_s": round(catalogue_s, 2),
        "open_s": round(open_s, 2),
        "key_median_ms": round(statistics.median(keys), 1),
        "key_max_ms": round(max(keys), 1),
        "found": {q: r["found"] for q, r in typed.items()},
        "worst_at": {q: r["at"] for q, r in typed.items()},
    }


def run(args: argparse.Namespace) -> dict:
    with served(__file__, "--products", str(args.products)) as (base, made):
        return measure(base, made, args)


def report(r: dict) -> bool:
    ok_key = r["key_max_ms"] < AIM_KEY_MS
    ok_today = r["today_s"] < r["catalogue_s"]
    mark = lambda ok: "meets" if ok else "MISSES"  # noqa: E731
    print(f"chromium 360×640, {r['products']} products on the rep's price list")
    print(f"first sync: Today on screen at {r['today_s']} s, the whole catalogue in IndexedDB "
          f"at {r['catalogue_s']} s; aim Today first: {mark(ok_today)}")  # fmt: skip
    print(f"offline, CPU throttled {r['rate']}×: the order screen open in {r['open_s']} s")
    print(
        f"search per keystroke: median {r['key_median_ms']} ms, worst {r['key_max_ms']} ms "
        f"over {', '.join(repr(q) for q in r['found'])}; aim < {AIM_KEY_MS} ms: {mark(ok_key)}"
    )
    print("  found: " + "; ".join(f"{q!r} → {n} shown" for q, n in r["found"].items()))
    print("  slowest key typed: " + "; ".join(repr(at) for at in r["worst_at"].values()))
    return ok_key and ok_today


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="1,000 products")
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=4, help="CPU slowdown factor")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    child = bench_main(args.child, lambda: setup_data(args.products))
    if child is not None:
        return child
    if args.smoke:
        args.products = 1000
    r = run(args)
    print(json.dumps(r), file=sys.stderr)
    return 0 if report(r) else 1


if __name__ == "__main__":
    sys.exit(main())
