"""Independent checks for tests/routing: they share no code with routing's solver or schedule.

``vrptw_cost`` re-reads an instance file with its own parser and costs a list of routes under the
DIMACS convention; ``check_plan`` re-derives every time in a Solution from the travel matrix.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from routing import Problem, Solution
from routing.matrix import GreatCircleProvider

DATA = Path(__file__).resolve().parent.parent / "data" / "vrptw"


def _read_rows(path: Path) -> tuple[int, int, list[list[float]]]:
    """(fleet, capacity, rows of x y demand ready due service), depot first."""
    text = path.read_text().splitlines()
    if path.suffix == ".txt":
        nums = [r.split() for r in text if r.split() and r.split()[0].isdigit()]
        fleet, cap = int(nums[0][0]), int(nums[0][1])
        return fleet, cap, [[float(x) for x in r[1:7]] for r in nums[1:]]
    head = {ln.split(":")[0].strip(): ln.split(":")[1].strip() for ln in text if " : " in ln}
    n = int(head["DIMENSION"])
    sec: dict[str, list[list[str]]] = {}
    cur = ""
    for ln in text:
        if ln.strip().endswith("SECTION"):
            cur = ln.strip()
            sec[cur] = []
        elif cur and ln.strip() and ln.strip() not in ("-1", "EOF"):
            sec[cur].append(ln.split())
    rows = []
    for i in range(n):
        x, y = (float(v) for v in sec["NODE_COORD_SECTION"][i][1:3])
        demand = float(sec["DEMAND_SECTION"][i][1])
        ready, due = (float(v) for v in sec["TIME_WINDOW_SECTION"][i][1:3])
        service = 0.0 if i == 0 else float(head.get("SERVICE_TIME", 0))
        rows.append([x, y, demand, ready, due, service])
    return int(head["VEHICLES"]), int(head["CAPACITY"]), rows


def vrptw_cost(instance: Path, routes: list[list[int]]) -> float:
    """Cost of ``routes`` (customer numbers) in tenths exactly; raises on any infeasibility."""
    fleet, capacity, rows = _read_rows(instance)
    n = len(rows) - 1

    def d(a: int, b: int) -> int:  # tenths, truncated: the DIMACS convention
        (xa, ya), (xb, yb) = rows[a][:2], rows[b][:2]
        return math.floor(10 * math.hypot(xa - xb, ya - yb))

    seen = [c for r in routes for c in r]
    assert sorted(seen) == list(range(1, n + 1)), "each customer exactly once"
    assert len([r for r in routes if r]) <= fleet, "fleet size"
    total = 0
    for route in routes:
        assert sum(rows[c][2] for c in route) <= capacity, "capacity"
        t, here = 10 * rows[0][3], 0
        for c in route:
            t = max(t + d(here, c), 10 * rows[c][3])
            assert t <= 10 * rows[c][4], f"customer {c} served at {t / 10} after {rows[c][4]}"
            total += d(here, c)
            t += 10 * rows[c][5]
            here = c
        total += d(here, 0)
        assert t + d(here, 0) <= 10 * rows[0][4], "back at the depot in time"
    return total / 10


def check_plan(problem: Problem, solution: Solution) -> None:
    """Every stop planned once or dropped once; times follow the matrix, windows and shifts."""
    provider = problem.provider or GreatCircleProvider()
    stops = {s.id: s for s in problem.stops}
    planned = [v.stop_id for r in solution.routes for v in r.visits]
    dropped = [d.stop_id for d in solution.dropped]
    assert sorted(planned + dropped) == sorted(stops), "each stop exactly once, planned or dropped"
    assert [r.vehicle_id for r in solution.routes] == [v.id for v in problem.vehicles]
    for vehicle, route in zip(problem.vehicles, solution.routes, strict=True):
        if not route.visits:
            continue
        assert vehicle.max_visits is None or len(route.visits) <= vehicle.max_visits
        here = vehicle.current_location or vehicle.start
        t = route.start_s
        assert t >= max(vehicle.shift.start_s, problem.now_s or 0, vehicle.current_time_s or 0)
        metres = 0
        for visit in route.visits:
            stop = stops[visit.stop_id]
            if stop.pinned_vehicle_id is not None:
                assert stop.pinned_vehicle_id == vehicle.id
            if stop.allowed_vehicle_ids is not None:
                assert vehicle.id in stop.allowed_vehicle_ids
            m = provider.matrix([here, stop.location])
            leg = round(int(m.duration_s[0, 1]) * vehicle.speed_factor)
            assert visit.leg_duration_s == leg
            assert visit.leg_distance_m == int(m.distance_m[0, 1])
            assert visit.arrival_s >= t + leg
            assert visit.start_s == visit.arrival_s + visit.wait_s
            assert visit.departure_s == visit.start_s + stop.service_s
            if stop.windows:
                assert any(w.start_s <= visit.start_s <= w.end_s for w in stop.windows)
            metres += visit.leg_distance_m
            t, here = visit.departure_s, stop.location
        end = vehicle.end or vehicle.start
        m = provider.matrix([here, end])
        assert route.end_s >= t + round(int(m.duration_s[0, 1]) * vehicle.speed_factor)
        assert route.end_s <= vehicle.shift.end_s
        assert route.distance_m == metres + int(m.distance_m[0, 1])
        if vehicle.break_ is not None:
            _check_break(vehicle.break_.window.start_s, vehicle.break_.window.end_s,
                         vehicle.break_.duration_s, route, provider, vehicle, stops)  # fmt: skip


def _check_break(ws: int, we: int, rest: int, route, provider, vehicle, stops) -> None:  # noqa: ANN001
    """Break's rule: a working day overlapping the window rests within the day and the window,
    in a gap between two services that holds the drive between them as well as the rest."""
    brk = route.break_start_s
    if not (route.start_s < we and route.end_s > ws):
        return
    assert brk is not None, f"{route.vehicle_id}: day {route.start_s}-{route.end_s} took no break"
    assert ws <= brk and brk + rest <= we, "break outside its window"
    assert route.start_s <= brk and brk + rest <= route.end_s, "break outside the working day"
    gaps = []  # (free from, busy again at, drive needed in between)
    here, t = vehicle.current_location or vehicle.start, route.start_s
    for visit in route.visits:
        gaps.append((t, visit.start_s, visit.leg_duration_s))
        here, t = stops[visit.stop_id].location, visit.departure_s
    m = provider.matrix([here, vehicle.end or vehicle.start])
    gaps.append((t, route.end_s, round(int(m.duration_s[0, 1]) * vehicle.speed_factor)))
    assert any(
        lo <= brk and brk + rest <= hi and hi - lo >= drive + rest for lo, hi, drive in gaps
    ), f"{route.vehicle_id}: the break at {brk} overlaps a visit or leaves no time to drive"


@pytest.fixture
def vrptw_data() -> Path:
    return DATA


@pytest.fixture
def vrptw_check() -> Callable[[Path, list[list[int]]], float]:
    return vrptw_cost


@pytest.fixture
def plan_check() -> Callable[[Problem, Solution], None]:
    return check_plan
