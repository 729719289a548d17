"""Territory map server cost: build + render time and HTML bytes at 10k and 100k accounts.

Run: .venv/bin/python bench/maps_territory.py [N ...]
Synthetic accounts spread over a ~100 km square with 20 territories and 8 reps; the numbers
are the server side only (the browser side is the Playwright bench).
"""

from __future__ import annotations

import gzip
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maps import AccountPoint, TerritoryMapData, TerritoryShape, territory_map  # noqa: E402

STATUSES = ("lead", "prospect", "customer")


def synthetic(n: int, seed: int = 1) -> TerritoryMapData:
    rnd = random.Random(seed)
    reps = [f"rep{i}" for i in range(8)]
    territories = []
    for i in range(20):
        west, south = 2.0 + (i % 5) * 0.2, 48.0 + (i // 5) * 0.2
        ring = [[west, south], [west + 0.2, south], [west + 0.2, south + 0.2],
                [west, south + 0.2], [west, south]]  # fmt: skip
        territories.append(
            TerritoryShape(
                id=f"t{i}",
                name=f"Territory {i}",
                rep=reps[i % 8],
                region="R1",
                geojson={"type": "Polygon", "coordinates": [ring]},
                account_counts={"lead": n // 60, "customer": n // 60},
            )  # fmt: skip
        )
    accounts = [
        AccountPoint(
            id=str(i), name=f"Shop {i} on Rue {rnd.randint(1, 999)}",
            lat=48.0 + rnd.random() * 0.8, lng=2.0 + rnd.random(),
            status=STATUSES[rnd.randrange(3)], territory=f"t{i % 20}", rep=reps[i % 8],
            days_since_visit=rnd.choice([None, rnd.randint(0, 200)]),
            frequency_days=rnd.choice([None, 14, 30, 90]),
            url=f"/accounts/{i}",
        )
        for i in range(n)
    ]  # fmt: skip
    return TerritoryMapData(accounts=accounts, territories=territories)


def main(sizes: list[int]) -> None:
    print(f"{'accounts':>9} {'build s':>8} {'render s':>9} {'HTML MB':>8} {'gzip MB':>8}")
    for n in sizes:
        data = synthetic(n)
        t0 = time.perf_counter()
        m = territory_map(data, static_url="/static/", tile_url="/tiles/{z}/{x}/{y}.png",
                          tile_attribution="© OpenStreetMap contributors", draw=True)  # fmt: skip
        t1 = time.perf_counter()
        page = m.get_root().render().encode()
        t2 = time.perf_counter()
        zipped = len(gzip.compress(page, compresslevel=6))
        print(
            f"{n:>9} {t1 - t0:>8.2f} {t2 - t1:>9.2f} {len(page) / 1e6:>8.2f} {zipped / 1e6:>8.2f}"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--smoke"]:  # `make bench`
        main([1_000, 10_000])
    else:
        main([int(a) for a in args] or [1_000, 10_000, 100_000])
