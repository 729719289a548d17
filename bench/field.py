"""Field days built from the literature, the planner and VROOM side by side on one clock.

    python bench/field.py [--data DIR] [--instances R101,C101,RC101] [--time-limit 10]
        [--seeds 3] [--variants break,split] [--out results.json] [--smoke]

Each Solomon instance (DIMACS convention, routing/vrplib.py) becomes a field day two ways:

- ``break``: every vehicle takes a rest of 5 % of the depot's horizon inside the window from
  40 % to 60 % of it (a lunch break; Break's rule in routing/model.py decides who needs it);
- ``split``: a third of the customers, chosen by the seed, are closed for the middle fifth of
  their window (a shop closed at lunch: two opening windows).

Both solvers get the same instance, the same integer matrix (planar, truncated) and the same
wall clock (VROOM on 2 threads, as the planner uses 2 cores). Every route of both is re-timed by
``check_orders`` below, which shares no code with the planner's schedule.py, and costed from
the matrix: a plan that breaks a rule is reported, never counted. Distances are in the
instance's units; ``LB`` is the plain instance's best known distance (a lower bound when every
customer is served, since both variants only remove options).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from routing import Break, Problem, Solution, TimeWindow, solve  # noqa: E402
from routing.vrplib import SCALE, read_instance  # noqa: E402

DEFAULT_DATA = Path("/work/shared/data/vrptw/solomon")
DEFAULT_INSTANCES = "C101,R101,RC101,R105,C105"
VARIANTS = ("break", "split")
BREAK_WINDOW = (0.4, 0.6)  # of the depot's horizon
BREAK_SHARE = 0.05
SPLIT_SHARE = 1 / 3
SPLIT_CLOSED = 0.2  # the middle fifth of each split window is closed


def with_breaks(problem: Problem) -> Problem:
    shift = problem.vehicles[0].shift
    span = shift.end_s - shift.start_s
    window = TimeWindow(
        shift.start_s + round(BREAK_WINDOW[0] * span), shift.start_s + round(BREAK_WINDOW[1] * span)
    )
    brk = Break(window, round(BREAK_SHARE * span))
    return replace(problem, vehicles=tuple(replace(v, break_=brk) for v in problem.vehicles))


def with_split_windows(problem: Problem, seed: int) -> Problem:
    rng = random.Random(seed)
    chosen = set(rng.sample(range(len(problem.stops)), round(SPLIT_SHARE * len(problem.stops))))
    stops = []
    for i, stop in enumerate(problem.stops):
        (w,) = stop.windows
        gap = round(SPLIT_CLOSED * (w.end_s - w.start_s))
        if i in chosen and gap > 0:
            lo_end = w.start_s + (w.end_s - w.start_s - gap) // 2
            stop = replace(
                stop, windows=(TimeWindow(w.start_s, lo_end), TimeWindow(lo_end + gap, w.end_s))
            )
        stops.append(stop)
    return replace(problem, stops=tuple(stops))


@dataclass
class Checked:
    distance: float  # instance units
    served: int
    errors: list[str]


def check_orders(problem: Problem, orders: list[list[str]]) -> Checked:
    """An independent judge: each customer at most once, capacity, windows, shift, break rule.

    The break may go in any gap between two services (rest on arrival, before the service, or
    at home before the day ends); a day that ends by the window's opening needs none.
    """
    assert problem.provider is not None
    depot = problem.vehicles[0].start
    stops = {s.id: s for s in problem.stops}
    ids = [s.id for s in problem.stops]
    at = {sid: i + 1 for i, sid in enumerate(ids)}
    m = problem.provider.matrix([depot, *(stops[s].location for s in ids)])  # type: ignore[misc]
    dur, dist = m.duration_s, m.distance_m
    errors: list[str] = []
    seen: set[str] = set()
    metres = 0
    for vehicle, order in zip(problem.vehicles, orders, strict=True):
        if not order:
            continue
        for sid in order:
            if sid in seen:
                errors.append(f"{sid} served twice")
            seen.add(sid)
        if sum(stops[s].demand for s in order) > (vehicle.capacity or 10**9):
            errors.append(f"{vehicle.id}: over capacity")
        points = [0, *(at[s] for s in order), 0]
        metres += sum(int(dist[a, b]) for a, b in zip(points, points[1:], strict=False))
        brk = vehicle.break_
        gaps: list[int | None] = [None]
        if brk is not None:
            gaps += list(range(len(order) + 1))
        ok = False
        for gap in gaps:
            end = _run(vehicle.shift.start_s, order, points, dur, stops, brk, gap)
            if end is None or end > vehicle.shift.end_s:
                continue
            if gap is None and brk is not None and end > brk.window.start_s:
                continue  # the day overlaps the break window: Break's rule wants the rest
            ok = True
            break
        if not ok:
            errors.append(f"{vehicle.id}: no valid timing for {order}")
    return Checked(metres / SCALE, len(seen), errors)


def _run(
    t: int, order: list[str], points: list[int], dur, stops, brk, gap: int | None
) -> int | None:  # noqa: ANN001
    """Arrival home with earliest starts and the break in ``gap`` (None: none), or None."""
    for i in range(len(points) - 1):
        leg = int(dur[points[i], points[i + 1]])
        if gap == i:  # rest before the drive, or on arrival: whichever is ready first
            ready = [
                b + brk.duration_s + extra
                for b, extra in (
                    (max(t, brk.window.start_s), leg),
                    (max(t + leg, brk.window.start_s), 0),
                )
                if b + brk.duration_s <= brk.window.end_s
            ]
            if not ready:
                return None
            t = min(ready)
        else:
            t += leg
        if i < len(order):
            stop = stops[order[i]]
            still_open = [w.start_s for w in stop.windows if w.end_s >= t]
            if not still_open:
                return None
            t = max(t, min(still_open)) + stop.service_s
    return t


def planner_orders(solution: Solution) -> list[list[str]]:
    return [[v.stop_id for v in r.visits] for r in solution.routes]


def vroom_orders(problem: Problem, time_limit_s: float) -> list[list[str]]:
    import vroom

    assert problem.provider is not None
    depot = problem.vehicles[0].start
    m = problem.provider.matrix([depot, *(s.location for s in problem.stops)])  # type: ignore[misc]
    inp = vroom.Input()
    inp.set_durations_matrix(profile="car", matrix_input=m.duration_s.tolist())
    for k, stop in enumerate(problem.stops, start=1):
        inp.add_job(
            vroom.Job(
                id=k,
                location=k,
                default_service=stop.service_s,
                delivery=[stop.demand],
                time_windows=[vroom.TimeWindow(w.start_s, w.end_s) for w in stop.windows],
            )
        )
    for i, v in enumerate(problem.vehicles):
        breaks = []
        if v.break_ is not None:
            w = v.break_.window
            tw = vroom.TimeWindow(w.start_s, w.end_s - v.break_.duration_s)
            breaks = [vroom.Break(i + 1, time_windows=[tw], service=v.break_.duration_s)]
        inp.add_vehicle(
            vroom.Vehicle(
                id=i + 1,
                start=0,
                end=0,
                capacity=[v.capacity or 10**6],
                time_window=vroom.TimeWindow(v.shift.start_s, v.shift.end_s),
                breaks=breaks,
            )
        )
    sol = inp.solve(exploration_level=5, nb_threads=2, timeout=timedelta(seconds=time_limit_s))
    routes = sol.routes
    orders: list[list[str]] = [[] for _ in problem.vehicles]
    for row in routes.itertuples():
        if row.type == "job":
            orders[int(row.vehicle_id) - 1].append(problem.stops[int(row.id) - 1].id)
    return orders


def load_bks(data: Path) -> dict[str, float]:
    for path in (data / "bks.csv", data.parent / "bks.csv"):
        if path.exists():
            with path.open() as f:
                return {r["instance"]: float(r["dimacs_distance"]) for r in csv.DictReader(f)}
    return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--instances", default=DEFAULT_INSTANCES)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--solvers", default="planner,vroom")
    parser.add_argument("--out", type=Path, default=Path("/tmp/field-results.json"))
    parser.add_argument("--smoke", action="store_true", help="one instance, 1 s, 1 seed (< 60 s)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.data, args.instances = ROOT / "tests" / "data" / "vrptw", "R101"
        args.time_limit, args.seeds = 1.0, 1
    bks = load_bks(args.data)
    rows: list[dict[str, object]] = []
    solvers = args.solvers.split(",")
    for name in args.instances.split(","):
        path = next(p for ext in (".vrp", ".txt") if (p := args.data / f"{name}{ext}").exists())
        plain = read_instance(path).problem
        for variant in args.variants.split(","):
            for seed in range(1, args.seeds + 1):
                problem = (
                    with_breaks(plain) if variant == "break" else with_split_windows(plain, seed)
                )
                for solver in solvers:
                    t0 = time.monotonic()
                    tried: dict[str, int | None] = {}
                    if solver == "planner":
                        sol = solve(problem, time_limit_s=args.time_limit, seed=seed)
                        orders, how = planner_orders(sol), sol.stats.solver
                        tried = sol.stats.candidates  # each member's cost (None: no valid plan)
                    else:
                        orders, how = vroom_orders(problem, args.time_limit), "vroom"
                    seconds = time.monotonic() - t0
                    checked = check_orders(problem, orders)
                    row = {
                        "instance": name, "variant": variant, "seed": seed, "solver": solver,
                        "distance": round(checked.distance, 1), "served": checked.served,
                        "customers": len(problem.stops), "errors": checked.errors,
                        "seconds": round(seconds, 2), "won": how,
                        "routes": sum(1 for o in orders if o), "candidates": tried,
                    }  # fmt: skip
                    rows.append(row)
                    bad = f" ERRORS {checked.errors[:2]}" if checked.errors else ""
                    print(
                        f"{name} {variant} seed {seed} {solver}: {row['distance']} served "
                        f"{checked.served}/{len(problem.stops)} routes {row['routes']} "
                        f"in {row['seconds']} s ({how}){bad}",
                        file=sys.stderr,
                        flush=True,
                    )
                    args.out.write_text(json.dumps(rows, indent=1))
    print_table(rows, bks, solvers)
    return 1 if any(r["errors"] for r in rows) else 0


def print_table(rows: list[dict[str, object]], bks: dict[str, float], solvers: list[str]) -> None:
    groups: dict[tuple[str, str], dict[str, list[dict[str, object]]]] = {}
    for r in rows:
        groups.setdefault((str(r["instance"]), str(r["variant"])), {}).setdefault(
            str(r["solver"]), []
        ).append(r)
    head = f"{'instance':<8} {'variant':<6} {'LB':>7}"
    for s in solvers:
        head += f" | {s + ' dist':>13} {'served':>7} {'%>LB':>6}"
    if {"planner", "vroom"} <= set(solvers):
        head += " | planner vs vroom %"
    print(head)
    gaps: dict[str, list[float]] = {}
    for (name, variant), per in groups.items():
        lb = bks.get(name)
        line = f"{name:<8} {variant:<6} {lb if lb else '?':>7}"
        means = {}
        for s in solvers:
            rs = per.get(s, [])
            d = statistics.fmean(float(str(r["distance"])) for r in rs) if rs else float("nan")
            served = statistics.fmean(int(str(r["served"])) for r in rs) if rs else 0
            means[s] = (d, served)
            over = f"{100 * (d - lb) / lb:.2f}" if lb else "-"
            line += f" | {d:>13.1f} {served:>7.1f} {over:>6}"
        if {"planner", "vroom"} <= set(solvers):
            (dp, sp), (dv, sv) = means["planner"], means["vroom"]
            g = 100 * (dp - dv) / dv
            gaps.setdefault(variant, []).append(g)
            line += f" | {g:+.2f}" + ("" if sp == sv else f" (served {sp:.1f} vs {sv:.1f})")
        print(line)
    for variant, gs in gaps.items():
        print(f"mean planner vs vroom, {variant}: {statistics.fmean(gs):+.2f} % over {len(gs)}")


if __name__ == "__main__":
    sys.exit(main())
