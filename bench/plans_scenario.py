"""Route-plan scenario benchmark on the demo regions (issue 5).

    .venv/bin/python bench/plans_scenario.py [--smoke] [--db PATH] [--time-limit S] [--out F]

Loads the demo into a temporary SpatiaLite database (or reuses ``--db``), then:

1. Andorra and Helsinki, each with its reps and *all* its accounts as candidates, on the
   great-circle and the road-network provider: plan time, visits planned, drive time, dropped
   visits by priority band; and the great-circle plan replayed on road times: how far its ETAs
   are off and how many visits would then miss their opening hours.
2. Six reps and 500+ candidates in Helsinki on the road network: matrix time and solve time
   apart (aim: under 30 s in all) and the drive time against the same problem solved 10x longer
   (aim: within 2 %).

``--smoke`` trims the demo to a few hundred accounts and uses short limits (under a minute).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BANDS = ((0, 19), (20, 39), (40, 59), (60, 79), (80, 99))


def setup_django(db: Path, var: Path) -> None:
    os.environ["DATABASE_URL"] = f"spatialite:///{db}"
    os.environ["FIELDCRM_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    import django

    django.setup()


def load_demo(smoke: bool) -> float:
    from django.core.management import call_command

    from fieldcrm.demo import load as demo_load

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if demo_load.demo_is_loaded():
        return 0.0
    if smoke:
        data = demo_load.read_demo_file()
        by_region: dict[str, int] = {}
        kept = []
        for row in data["accounts"]:
            key = row.get("region", "")
            by_region[key] = by_region.get(key, 0) + 1
            if by_region[key] <= 130:
                kept.append(row)
        trimmed = {**data, "accounts": kept}
        demo_load.read_demo_file = lambda path=None: trimmed  # type: ignore[assignment]
    demo_load.demo_load()
    return time.perf_counter() - started


def planning_day(region) -> dt.date:  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    day = timezone.localdate(timezone=ZoneInfo(region.timezone)) + dt.timedelta(days=1)
    while day.weekday() >= 5:  # the demo reps work Monday to Friday
        day += dt.timedelta(days=1)
    return day


def region_problem(region, day, provider):  # type: ignore[no-untyped-def]
    from fieldcrm.plans import planning
    from routing import Problem

    cands = [c for c in planning.candidates_for(region, day, all_accounts=True) if c.location]
    reps = [planning.rep_day(rep, day) for rep in planning.region_reps(region)]
    vehicles = tuple(r.vehicle for r in reps if r.vehicle is not None)
    stops = tuple(planning.to_stop(c) for c in cands)
    return Problem(vehicles=vehicles, stops=stops, provider=provider), cands


def dropped_by_band(solution, scores: dict[str, int]) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """Per priority band: [planned, dropped]."""
    planned = {v.stop_id for r in solution.routes for v in r.visits}
    out = {}
    for lo, hi in BANDS:
        ids = [s for s, p in scores.items() if lo <= p <= hi]
        out[f"{lo}-{hi}"] = [sum(s in planned for s in ids), sum(s not in planned for s in ids)]
    return out


def replay_on_roads(problem, solution, road) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Drive the great-circle plan's sequences on road times: ETA error and missed windows."""
    stops = {s.id: s for s in problem.stops}
    vehicles = {v.id: v for v in problem.vehicles}
    errors, missed, unreachable = [], 0, 0
    for route in solution.routes:
        if not route.visits:
            continue
        vehicle = vehicles[route.vehicle_id]
        points = [vehicle.start] + [stops[v.stop_id].location for v in route.visits]
        matrix = road.matrix(points)
        t, took_break = route.start_s, False
        for i, visit in enumerate(route.visits, start=1):
            leg = int(matrix.duration_s[i - 1][i])
            if leg >= 10**9:
                unreachable += 1
                break
            t += leg
            if route.break_start_s is not None and not took_break and t >= route.break_start_s:
                t, took_break = t + route.break_duration_s, True
            errors.append(abs(t - visit.arrival_s) / 60)
            stop = stops[visit.stop_id]
            start = t
            if stop.windows:
                fits = [w for w in stop.windows if w.end_s >= t]
                if not fits:
                    missed += 1
                else:
                    start = max(t, fits[0].start_s)
            t = start + stop.service_s
    if not errors:
        return {"visits": 0}
    errors.sort()
    return {
        "visits": len(errors),
        "eta_error_mean_min": round(statistics.mean(errors), 1),
        "eta_error_median_min": round(statistics.median(errors), 1),
        "eta_error_p90_min": round(errors[int(0.9 * (len(errors) - 1))], 1),
        "eta_error_max_min": round(errors[-1], 1),
        "windows_missed_on_roads": missed,
        "legs_unreachable_on_roads": unreachable,
    }


def summarise(solution, wall_s: float) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "plan_s": round(wall_s, 2),
        "matrix_s": round(solution.stats.matrix_s, 2),
        "solver": solution.stats.solver,
        "visits": sum(len(r.visits) for r in solution.routes),
        "drive_h": round(solution.drive_s / 3600, 2),
        "distance_km": round(solution.distance_m / 1000, 1),
        "dropped": len(solution.dropped),
    }


def scenario_regions(limit: float) -> list[dict[str, object]]:
    from fieldcrm.plans import planning
    from fieldcrm.territories.models import Region
    from routing import GreatCircleProvider, solve

    rows = []
    for region in Region.objects.filter(name__in=["Andorra", "Helsinki"]).order_by("name"):
        day = planning_day(region)
        road = planning.provider_for(region, "road")
        result: dict[str, object] = {"region": region.name, "date": day.isoformat()}
        gc_solution = gc_problem = None
        for name, provider in (("great_circle", GreatCircleProvider()), ("road", road)):
            problem, cands = region_problem(region, day, provider)
            scores = {c.account_id: c.score for c in cands}
            started = time.perf_counter()
            solution = solve(problem, time_limit_s=limit, seed=1)
            wall = time.perf_counter() - started
            result["reps"], result["candidates"] = len(problem.vehicles), len(cands)
            bands = dropped_by_band(solution, scores)
            result[name] = {**summarise(solution, wall), "planned_dropped_by_priority": bands}
            if name == "great_circle":
                gc_solution, gc_problem = solution, problem
        result["great_circle_replayed_on_roads"] = replay_on_roads(gc_problem, gc_solution, road)
        rows.append(result)
        print(json.dumps(result), flush=True)
    return rows


def six_reps(limit: float, candidates: int) -> dict[str, object]:
    """Helsinki's three reps plus three more starting at spread-out accounts, 500+ visits."""
    from dataclasses import replace

    from fieldcrm.plans import planning
    from fieldcrm.territories.models import Region
    from routing import Location, Problem, solve

    region = Region.objects.get(name="Helsinki")
    day = planning_day(region)
    cands = sorted(
        (c for c in planning.candidates_for(region, day, all_accounts=True) if c.location),
        key=lambda c: (-c.score, c.account_id),
    )[:candidates]
    rep_days = [planning.rep_day(u, day) for u in planning.region_reps(region)]
    reps = [r.vehicle for r in rep_days if r.vehicle is not None]
    extra = [cands[i * len(cands) // 3 + 7] for i in range(3)]
    vehicles = reps + [
        replace(reps[i % len(reps)], id=f"extra{i}", start=Location(*c.location))
        for i, c in enumerate(extra)
    ]
    road = planning.provider_for(region, "road")
    points = [v.start for v in vehicles] + [Location(*c.location) for c in cands]
    started = time.perf_counter()
    road.matrix(points)  # cold: what the first solve of the day pays
    out: dict[str, object] = {"reps": len(vehicles), "candidates": len(cands),
                              "matrix_cold_s": round(time.perf_counter() - started, 2)}  # fmt: skip
    # "raw": every candidate goes to the solver; "app": the shortlist plans.services uses
    # (required + the best CANDIDATES_PER_SLOT per visit slot).
    for variant in ("raw", "app"):
        chosen = cands if variant == "raw" else planning.shortlist(cands, vehicles)[0]
        problem = Problem(vehicles=tuple(vehicles), provider=road,
                          stops=tuple(planning.to_stop(c) for c in chosen))  # fmt: skip
        runs: dict[str, dict[str, object]] = {}
        for label, seconds in (("normal", limit), ("ten_times_longer", limit * 10)):
            started = time.perf_counter()
            solution = solve(problem, time_limit_s=seconds, seed=1)
            wall = time.perf_counter() - started
            runs[label] = {**summarise(solution, wall), "time_limit_s": seconds,
                           "solve_s": round(wall - solution.stats.matrix_s, 2),
                           "drive_s": solution.drive_s, "cost": solution.stats.cost}  # fmt: skip
        gap = (runs["normal"]["drive_s"] - runs["ten_times_longer"]["drive_s"]) / max(  # type: ignore[operator]
            1,
            runs["ten_times_longer"]["drive_s"],  # type: ignore[arg-type]
        )
        out[variant] = {"stops": len(chosen), **runs, "drive_gap_vs_10x": f"{100 * gap:+.2f} %"}
    print(json.dumps(out), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small and fast (< 60 s)")
    parser.add_argument("--db", type=Path, help="reuse this SpatiaLite file (demo loaded once)")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--candidates", type=int, default=None, help="six-rep case size")
    parser.add_argument("--out", type=Path, help="write the results as JSON")
    args = parser.parse_args(argv)
    limit = args.time_limit or (2.0 if args.smoke else 20.0)
    with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-") as tmp:
        db = args.db or Path(tmp) / "bench.db"
        setup_django(db, db.parent if args.db else Path(tmp))
        load_s = load_demo(args.smoke)
        print(f"demo loaded in {load_s:.0f} s into {db}", flush=True)
        results = {
            "smoke": args.smoke,
            "time_limit_s": limit,
            "regions": scenario_regions(limit),
            "six_reps_road": six_reps(limit / 4 if args.smoke else limit,
                                      args.candidates or (150 if args.smoke else 540)),
        }  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
