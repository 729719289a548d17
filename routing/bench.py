"""Measure the planner against the VRPTW literature (DIMACS convention).

    python -m routing.bench DIR --time-limit 10 [--instances C101,R101]
        [--config ours,ortools-default] [--bks bks.csv] --out results.json

Every instance goes through ``routing.solve`` (the code the app uses); ``ortools-default`` is the
out-of-the-box OR-Tools sample set-up (path-cheapest-arc + guided local search, no way to drop a
visit) on the same model and clock, shown beside ours. Seconds are wall clock, matrix and model
build included.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

from routing.model import Solution
from routing.ortools_solver import solve_ortools
from routing.prepare import prepare, solver_input
from routing.solver import build_solution, solve
from routing.vrplib import SCALE, Instance, read_instance

CONFIGS = ("ours", "ortools-default")


def find_instances(directory: Path, wanted: set[str] | None) -> list[tuple[str, Path]]:
    found: dict[str, Path] = {}
    for path in sorted(directory.rglob("*")):
        if path.suffix in (".vrp", ".txt") and path.is_file():
            name = path.stem.upper()
            # Prefer VRPLIB when both formats of an instance are present: identical data.
            if name not in found or path.suffix == ".vrp":
                found[name] = path
    names = sorted(found) if wanted is None else [n for n in sorted(found) if n in wanted]
    return [(n, found[n]) for n in names]


def load_bks(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None or not path.exists():
        return {}
    with path.open() as f:
        return {row["instance"]: row for row in csv.DictReader(f)}


def run_one(instance: Instance, config: str, time_limit_s: float, seed: int) -> Solution:
    if config == "ours":
        return solve(instance.problem, time_limit_s=time_limit_s, seed=seed)
    t0 = time.monotonic()
    prep = prepare(instance.problem)
    cand = solve_ortools(solver_input(prep), deadline=t0 + time_limit_s, config=config)
    return build_solution(prep, [cand], t0=t0, time_limit_s=time_limit_s)


def result_row(
    name: str, config: str, solution: Solution, seconds: float, cpu_s: float
) -> dict[str, object]:
    routes = [[int(v.stop_id) for v in r.visits] for r in solution.routes if r.visits]
    return {
        "instance": name,
        "config": config,
        "vehicles": len(routes),
        "distance": round(solution.distance_m / SCALE, 1),
        "seconds": round(seconds, 3),
        # CPU seconds we actually got (this process and its worker): on a shared machine this
        # shows how much of the wall-clock limit was really spent searching.
        "cpu_s": round(cpu_s, 2),
        "load_avg": round(os.getloadavg()[0], 2),
        "routes": routes,
        "missing": len(solution.dropped),
        "solver": solution.stats.solver,
    }


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def gap(row: dict[str, object], bks: dict[str, dict[str, str]]) -> float | None:
    ref = bks.get(str(row["instance"]))
    if ref is None or row["missing"]:
        return None
    best = float(ref["dimacs_distance"])
    return 100.0 * (float(str(row["distance"])) - best) / best


def print_table(
    rows: list[dict[str, object]], bks: dict[str, dict[str, str]], configs: list[str]
) -> None:
    by_instance: dict[str, dict[str, dict[str, object]]] = {}
    for row in rows:
        by_instance.setdefault(str(row["instance"]), {})[str(row["config"])] = row
    head = f"{'instance':<10} {'BKS':>9}"
    for c in configs:
        head += f" | {c + ' dist':>22} {'veh':>4} {'gap%':>7} {'s':>6}"
    print(head)
    classes: dict[tuple[str, str], dict[str, list[float | None]]] = {}
    for name, per in by_instance.items():
        ref = bks.get(name, {})
        line = f"{name:<10} {ref.get('dimacs_distance', '?'):>9}"
        key = (ref.get("set", "?"), ref.get("family", "?"))
        for c in configs:
            found = per.get(c)
            if found is None:
                line += f" | {'':>22} {'':>4} {'':>7} {'':>6}"
                continue
            row = found
            g = gap(row, bks)
            classes.setdefault(key, {}).setdefault(c, []).append(g)
            shown = "MISSING " + str(row["missing"]) if row["missing"] else row["distance"]
            gtxt = "-" if g is None else f"{g:.2f}"
            line += f" | {shown!s:>22} {row['vehicles']!s:>4} {gtxt:>7} {row['seconds']!s:>6}"
        print(line)
    print()
    print(f"{'class':<16} " + " ".join(f"{c + ' mean gap% (unsolved)':>34}" for c in configs))
    totals: dict[tuple[str, str], list[float | None]] = {}
    for (set_name, family), per_config in sorted(classes.items()):
        cells = []
        for c in configs:
            gaps = per_config.get(c, [])
            totals.setdefault((set_name, c), []).extend(gaps)
            cells.append(_mean_cell(gaps))
        print(f"{set_name + ' ' + family:<16} " + " ".join(f"{x:>34}" for x in cells))
    for set_name in sorted({s for s, _ in totals}):
        cells = [_mean_cell(totals.get((set_name, c), [])) for c in configs]
        print(f"{set_name + ' (all)':<16} " + " ".join(f"{x:>34}" for x in cells))


def _mean_cell(gaps: list[float | None]) -> str:
    solved = [g for g in gaps if g is not None]
    mean = f"{statistics.fmean(solved):.2f}" if solved else "-"
    return f"{mean} ({len(gaps) - len(solved)}/{len(gaps)})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m routing.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--time-limit", type=float, required=True, help="seconds per instance")
    parser.add_argument("--instances", help="comma-separated names as in bks.csv, e.g. C101,R1_2_1")
    parser.add_argument(
        "--config", default="ours", help=f"comma-separated, of {', '.join(CONFIGS)}"
    )
    parser.add_argument("--bks", type=Path, help="bks.csv (default: DIR/bks.csv or DIR/../bks.csv)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    configs = [c.strip() for c in args.config.split(",") if c.strip()]
    if unknown := [c for c in configs if c not in CONFIGS]:
        parser.error(f"unknown config {unknown}; choose from {CONFIGS}")
    wanted = {n.strip().upper() for n in args.instances.split(",")} if args.instances else None
    bks_path = args.bks or next(
        (p for p in (args.directory / "bks.csv", args.directory.parent / "bks.csv") if p.exists()),
        None,
    )
    bks = load_bks(bks_path)
    rows: list[dict[str, object]] = []
    for name, path in find_instances(args.directory, wanted):
        instance = read_instance(path)
        for config in configs:
            t0, cpu0 = time.monotonic(), _cpu()
            solution = run_one(instance, config, args.time_limit, args.seed)
            row = result_row(name, config, solution, time.monotonic() - t0, _cpu() - cpu0)
            rows.append(row)
            g = gap(row, bks)
            print(
                f"{name} {config}: {row['distance']} ({row['vehicles']} routes, missing "
                f"{row['missing']}) gap {'-' if g is None else f'{g:.2f}%'} in {row['seconds']} s"
                f" (cpu {row['cpu_s']} s, load {row['load_avg']})",
                file=sys.stderr,
                flush=True,
            )
            args.out.write_text(json.dumps(rows, indent=1))  # keep partial results on a long run
    args.out.write_text(json.dumps(rows, indent=1))
    print_table(rows, bks, configs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
