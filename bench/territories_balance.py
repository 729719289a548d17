"""Balanced territories (routing/territories.py): balance and time on the demo's regions and
on a seeded 5,000-account region.

Run: .venv/bin/python bench/territories_balance.py [N_SYNTHETIC] [K_SYNTHETIC]

Prints, per region and per method ("fresh": re-partition from scratch; "keep", the app's:
start from today's territories and move only the border accounts needed to bring every rep
within the 5 % tolerance): accounts, reps, the largest ÷ smallest workload per rep today and
proposed (service + estimated drive per 4 weeks, great-circle provider), the mean spread
(visit-weighted km to the territory's centre), the pieces of the proposed territories, the
accounts that would move, and the engine's wall time (one process, no database).

The demo's cadences and visit lengths are the ones `load_demo` and the planner use
(fieldcrm/demo/load.py FREQUENCY_DAYS, fieldcrm/plans/planning.py SERVICE_S), repeated here so
the bench needs no Django.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shapely.geometry import Point, box, shape  # noqa: E402
from shapely.ops import unary_union  # noqa: E402

from routing import GreatCircleProvider, Location  # noqa: E402
from routing.territories import Group, Options, Site, balance, evaluate, ratio  # noqa: E402

FREQUENCY_DAYS = {"A": 14, "B": 28, "C": 56}  # demo/load.py (leads: none)
SERVICE_MIN = {"A": 30, "B": 20, "C": 15}  # plans/planning.py SERVICE_S
PERIOD_DAYS = 28


def report(name, sites, groups, current, clip) -> None:
    print(f"{name}: {len(sites)} accounts, {len(groups)} reps")
    for method in ("fresh", "keep"):
        t0 = time.perf_counter()
        result = balance(sites, groups, clip=clip, current=current,
                         provider=GreatCircleProvider(),
                         options=Options(seed=0, method=method))  # fmt: skip
        wall = time.perf_counter() - t0
        before = evaluate(sites, groups, current, seconds_per_metre=result.seconds_per_metre)
        moved = sum(1 for s in sites if current.get(s.id) != result.assignment[s.id])
        pieces = [len(result.boundaries[g.id].geoms) for g in groups]
        spread_b = sum(before[g.id].spread_km for g in groups) / len(groups)
        spread_a = sum(result.loads[g.id].spread_km for g in groups) / len(groups)
        hours_b = [round(before[g.id].total_min / 60, 1) for g in groups]
        hours_a = [round(result.loads[g.id].total_min / 60, 1) for g in groups]
        print(f"  [{method}] max/min workload per rep: today {ratio(before, groups):.3f}, "
              f"proposed {ratio(result.loads, groups):.3f}; accounts moved {moved}")  # fmt: skip
        print(f"    hours per 4 weeks: today {hours_b}, proposed {hours_a}")
        print(f"    mean spread: today {spread_b:.2f} km, proposed {spread_a:.2f} km; "
              f"pieces per territory {pieces}")  # fmt: skip
        print(f"    engine {wall:.2f} s ({result.iterations} Lloyd iterations, "
              f"{result.moves} boundary moves)")  # fmt: skip


def demo() -> None:
    data = json.loads(gzip.open(ROOT / "fieldcrm/data/demo/demo.json.gz").read())
    for region in data["regions"]:
        territories = region["territories"]
        shapes = [shape(t["boundary"]) for t in territories]
        homes = {r["username"]: r["home"] for r in region["reps"]}
        groups = []
        for t in territories:
            home = homes.get((t.get("reps") or [None])[0])
            groups.append(Group(t["name"], 1, None if home is None else Location(home[1], home[0])))
        sites, current = [], {}
        for i, row in enumerate(a for a in data["accounts"] if a["region"] == region["name"]):
            freq = FREQUENCY_DAYS[row["tier"]] if row["status"] != "lead" else None
            sid = f"{region['name']}-{i}"
            sites.append(Site(sid, row["lat"], row["lng"], PERIOD_DAYS / freq if freq else 0.0,
                              SERVICE_MIN[row["tier"]]))  # fmt: skip
            point = Point(row["lng"], row["lat"])
            inside = [t["name"] for t, s in zip(territories, shapes, strict=True)
                      if s.covers(point)]  # fmt: skip
            if inside:
                current[sid] = inside[0]
        sites = [s for s in sites if s.id in current]  # the region's accounts: in a territory
        report(f"demo {region['name']}", sites, groups, current, unary_union(shapes))


def synthetic(n: int, k: int, seed: int = 1) -> None:
    """A town and its countryside (~35 × 30 km), cut today into k north–south stripes."""
    rng = random.Random(seed)
    sites = []
    for i in range(n):
        if rng.random() < 0.6:
            lat, lon = 42.5 + rng.gauss(0, 0.01), 1.52 + rng.gauss(0, 0.015)
        else:
            lat, lon = 42.4 + rng.random() * 0.25, 1.4 + rng.random() * 0.3
        lat, lon = min(max(lat, 42.395), 42.655), min(max(lon, 1.395), 1.705)
        tier = rng.choice("ABBCC")
        freq = rng.choice([None, FREQUENCY_DAYS[tier]])
        sites.append(Site(f"s{i}", lat, lon, PERIOD_DAYS / freq if freq else 0.0,
                          SERVICE_MIN[tier]))  # fmt: skip
    groups = [Group(f"g{j}") for j in range(k)]
    current = {s.id: f"g{min(k - 1, int((s.lon - 1.39) / 0.32 * k))}" for s in sites}
    report(f"seeded region (seed {seed})", sites, groups, current, box(1.39, 42.39, 1.71, 42.66))


if __name__ == "__main__":
    demo()
    synthetic(int(sys.argv[1]) if len(sys.argv) > 1 else 5000,
              int(sys.argv[2]) if len(sys.argv) > 2 else 6)  # fmt: skip
