"""App-shaped problems: windows, breaks, pins, re-planning, and every kind of bad input."""

from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import (
    Break,
    DropReason,
    GreatCircleProvider,
    Location,
    Objective,
    Problem,
    Stop,
    TimeWindow,
    Vehicle,
    solve,
)
from routing.model import UNREACHABLE, TravelMatrix
from routing.ortools_solver import solve_ortools
from routing.polish import polish
from routing.prepare import prepare, solver_input
from routing.pyvrp_solver import fits_pyvrp
from routing.roads import RoadGraph, RoadProvider

H = 3600
OFFICE = Location(60.170, 24.940)
LIMIT_S = 1.0


def near(i: int, km: float = 1.0) -> Location:
    """A point ``km`` from the office, spread around it by index."""
    angle = i * 2.399963  # golden angle: no two points on one bearing
    return Location(
        OFFICE.lat + km / 111.0 * math.sin(angle), OFFICE.lon + km / 55.5 * math.cos(angle)
    )


def rep(vid: str = "r1", **kw: object) -> Vehicle:
    args: dict[str, object] = {"start": OFFICE, "shift": TimeWindow(8 * H, 17 * H)}
    args.update(kw)
    return Vehicle(id=vid, **args)  # type: ignore[arg-type]


def visit(i: int, km: float = 1.0, **kw: object) -> Stop:
    args: dict[str, object] = {"location": near(i, km), "service_s": 20 * 60}
    args.update(kw)
    return Stop(id=f"s{i}", **args)  # type: ignore[arg-type]


def reasons(solution) -> dict[str, DropReason]:
    return {d.stop_id: d.reason for d in solution.dropped}


def planned(solution, vehicle: int | None = None) -> list[str]:
    routes = solution.routes if vehicle is None else [solution.routes[vehicle]]
    return [v.stop_id for r in routes for v in r.visits]


def test_a_normal_day_plans_every_visit_with_consistent_times(plan_check):
    problem = Problem(vehicles=(rep("r1"), rep("r2")), stops=tuple(visit(i) for i in range(12)))
    solution = solve(problem, time_limit_s=LIMIT_S, seed=1)
    plan_check(problem, solution)
    assert not solution.dropped
    route = next(r for r in solution.routes if r.visits)
    assert route.geometry[0] == (OFFICE.lat, OFFICE.lon) and len(route.geometry) >= 3
    assert route.work_s == route.end_s - route.start_s
    assert route.drive_s == sum(v.leg_duration_s for v in route.visits) + (
        route.drive_s - sum(v.leg_duration_s for v in route.visits)
    )
    assert solution.stats.cost > 0 and solution.stats.wall_s > 0


def test_no_visits_gives_an_empty_route_per_rep(plan_check):
    problem = Problem(vehicles=(rep("r1"), rep("r2")), stops=())
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert [r.visits for r in solution.routes] == [(), ()]
    assert solution.dropped == ()


def test_no_reps_drops_every_visit_with_a_reason(plan_check):
    problem = Problem(vehicles=(), stops=(visit(1), visit(2)))
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert set(reasons(solution).values()) == {DropReason.UNREACHABLE}


def test_visit_outside_every_window_is_dropped_with_that_reason(plan_check):
    early = visit(1, windows=(TimeWindow(3 * H, 4 * H), TimeWindow(5 * H, 6 * H)), required=True)
    problem = Problem(vehicles=(rep(),), stops=(early, visit(2)))
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert reasons(solution) == {"s1": DropReason.OUTSIDE_WINDOWS}
    assert planned(solution) == ["s2"]


def test_a_rep_whose_shift_holds_nothing_gets_no_visits(plan_check):
    short = rep("short", shift=TimeWindow(8 * H, 8 * H + 60))
    problem = Problem(vehicles=(short, rep("r2")), stops=tuple(visit(i) for i in range(4)))
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert solution.routes[0].visits == ()
    assert len(planned(solution, 1)) == 4

    alone = Problem(vehicles=(short,), stops=problem.stops)
    solution = solve(alone, time_limit_s=LIMIT_S)
    plan_check(alone, solution)
    assert set(reasons(solution).values()) == {DropReason.NO_TIME}


def test_duplicate_ids_are_refused_as_a_caller_bug():
    with pytest.raises(ValueError, match="duplicate stop ids"):
        solve(Problem(vehicles=(rep(),), stops=(visit(1), visit(1))), time_limit_s=LIMIT_S)


def test_missing_coordinates_are_dropped_not_crashed_on(plan_check):
    stops = (
        visit(1, location=None),
        visit(2, location=Location(float("nan"), 24.9)),
        visit(3),
    )
    problem = Problem(vehicles=(rep(),), stops=stops)
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert reasons(solution) == {
        "s1": DropReason.MISSING_LOCATION,
        "s2": DropReason.MISSING_LOCATION,
    }
    assert planned(solution) == ["s3"]


@dataclass(frozen=True)
class CutOff:
    """Great-circle, except that one point has no road to or from anywhere."""

    island: Location

    def matrix(self, points):
        m = GreatCircleProvider().matrix(points)
        d, x = m.duration_s.copy(), m.distance_m.copy()
        for i, p in enumerate(points):
            if p == self.island:
                d[i, :] = d[:, i] = x[i, :] = x[:, i] = UNREACHABLE
                d[i, i] = x[i, i] = 0
        return TravelMatrix(d, x)

    def geometry(self, points):
        return [(p.lat, p.lon) for p in points]


def test_unreachable_pairs_drop_the_visit_with_a_reason(plan_check):
    stops = tuple(visit(i) for i in range(5))
    problem = Problem(vehicles=(rep(),), stops=stops, provider=CutOff(stops[2].location))
    solution = solve(problem, time_limit_s=LIMIT_S)
    assert reasons(solution) == {"s2": DropReason.UNREACHABLE}
    assert sorted(planned(solution)) == ["s0", "s1", "s3", "s4"]


def test_a_road_island_is_unreachable_but_the_mainland_is_planned():
    # Two separate two-way roads; the rep lives on the first.
    lat = np.array([60.0, 60.0, 60.0, 60.0])
    lon = np.array([24.00, 24.01, 24.05, 24.06])
    indptr = np.array([0, 1, 2, 3, 4])
    indices = np.array([1, 0, 3, 2])
    graph = RoadGraph.from_arrays(lat, lon, indptr, indices, np.full(4, 60.0), np.full(4, 560.0))
    provider = RoadProvider(graph)
    home = Location(60.0, 24.0)
    stops = (
        Stop("main", Location(60.0, 24.0101), service_s=60),
        Stop("island", Location(60.0, 24.0601), service_s=60, required=True),
    )
    problem = Problem(vehicles=(rep(start=home),), stops=stops, provider=provider)
    solution = solve(problem, time_limit_s=LIMIT_S)
    assert reasons(solution) == {"island": DropReason.UNREACHABLE}
    assert planned(solution) == ["main"]


def test_optional_visits_are_dropped_lowest_priority_first(plan_check):
    # Two hours, six one-hour visits: two fit, and they must be the important ones.
    stops = tuple(
        visit(i, km=0.3, service_s=H - 300, priority=p) for i, p in enumerate([1, 5, 0, 9, 2, 1])
    )
    problem = Problem(vehicles=(rep(shift=TimeWindow(8 * H, 10 * H)),), stops=stops)
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert sorted(planned(solution)) == ["s1", "s3"]
    assert set(reasons(solution).values()) == {DropReason.NO_TIME}


def test_required_visits_win_over_optional_ones(plan_check):
    stops = (
        visit(0, km=0.3, service_s=H - 300, priority=99),
        visit(1, km=0.3, service_s=H - 300, required=True),
    )
    problem = Problem(vehicles=(rep(shift=TimeWindow(8 * H, 9 * H)),), stops=stops)
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert planned(solution) == ["s1"]


def test_the_break_lies_inside_its_window_between_visits(plan_check):
    brk = Break(TimeWindow(12 * H, 13 * H), 30 * 60)
    stops = tuple(
        visit(i, windows=(TimeWindow((9 + i) * H, (9 + i) * H + 600),), service_s=50 * 60)
        for i in range(6)
    )
    problem = Problem(vehicles=(rep(break_=brk),), stops=stops)
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    route = solution.routes[0]
    assert route.break_start_s is not None and route.break_duration_s == 30 * 60
    assert 12 * H <= route.break_start_s <= 13 * H - 30 * 60
    for v in route.visits:  # no service during the break
        assert v.departure_s <= route.break_start_s or v.start_s >= route.break_start_s + 1800


def test_a_day_that_misses_the_break_window_needs_no_break(plan_check):
    brk = Break(TimeWindow(12 * H, 13 * H), 30 * 60)
    afternoon = rep("late", shift=TimeWindow(14 * H, 18 * H), break_=brk)
    morning = rep("early", shift=TimeWindow(7 * H, 11 * H), break_=brk)
    problem = Problem(vehicles=(afternoon, morning), stops=tuple(visit(i) for i in range(4)))
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert not solution.dropped
    assert [r.break_start_s for r in solution.routes] == [None, None]


def test_overlapping_windows_are_merged_not_turned_into_gaps(plan_check):
    windows = (TimeWindow(8 * H, 16 * H), TimeWindow(9 * H, 10 * H), TimeWindow(12 * H, 13 * H))
    stop = visit(1, windows=windows)
    busy = visit(2, windows=(TimeWindow(10 * H, 10 * H + 900),), service_s=H)
    problem = Problem(vehicles=(rep(),), stops=(stop, busy))
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert not solution.dropped


def test_a_visit_with_two_windows_is_served_in_the_one_that_fits(plan_check):
    stop = visit(1, windows=(TimeWindow(6 * H, 7 * H), TimeWindow(14 * H, 15 * H)))
    problem = Problem(vehicles=(rep(),), stops=(stop, visit(2)))
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    served = {v.stop_id: v for v in solution.routes[0].visits}
    assert 14 * H <= served["s1"].start_s <= 15 * H


def test_pinned_visits_stay_with_their_rep_in_the_pinned_order(plan_check):
    far = Location(OFFICE.lat + 0.1, OFFICE.lon)
    stops = (
        visit(1, pinned_vehicle_id="r2"),
        visit(2, km=3.0, pinned_vehicle_id="r1", pinned_order=3),
        visit(3, km=2.0, pinned_vehicle_id="r1", pinned_order=1),
        visit(4, km=1.0, pinned_vehicle_id="r1", pinned_order=2),
        visit(5),
    )
    problem = Problem(vehicles=(rep("r1"), rep("r2", start=far)), stops=stops)
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert "s1" in planned(solution, 1)
    order = [s for s in planned(solution, 0) if s in ("s2", "s3", "s4")]
    assert order == ["s3", "s4", "s2"]


def test_a_pin_to_an_unknown_rep_is_reported(plan_check):
    problem = Problem(vehicles=(rep(),), stops=(visit(1, pinned_vehicle_id="ghost"), visit(2)))
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert reasons(solution) == {"s1": DropReason.PIN_INVALID}


def test_a_visit_goes_only_to_a_rep_it_allows_even_when_another_is_nearer(plan_check):
    far = Location(OFFICE.lat + 0.05, OFFICE.lon)
    stops = tuple(visit(i, allowed_vehicle_ids=frozenset({"far"})) for i in range(1, 4))
    stops += (visit(4), visit(5, allowed_vehicle_ids=frozenset({"r1", "far"})))
    problem = Problem(vehicles=(rep("r1"), rep("far", start=far)), stops=stops)
    solution = solve(problem, time_limit_s=LIMIT_S, seed=1)
    plan_check(problem, solution)
    assert not solution.dropped
    assert {"s1", "s2", "s3"} <= set(planned(solution, 1))


def test_a_visit_whose_allowed_reps_are_all_absent_is_dropped_as_not_allowed(plan_check):
    stops = (
        visit(1, allowed_vehicle_ids=frozenset({"ghost"})),
        visit(2, allowed_vehicle_ids=frozenset()),
        visit(3, allowed_vehicle_ids=frozenset({"r2"}), pinned_vehicle_id="r1"),
        visit(4),
    )
    problem = Problem(vehicles=(rep("r1"), rep("r2")), stops=stops)
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert reasons(solution) == {
        "s1": DropReason.NOT_ALLOWED,
        "s2": DropReason.NOT_ALLOWED,
        "s3": DropReason.NOT_ALLOWED,
    }


def test_pyvrp_is_not_asked_to_plan_visits_limited_to_some_reps():
    # PyVRP has no per-client vehicle restriction: such a problem is OR-Tools' alone.
    stops = tuple(visit(i) for i in range(4))
    reps = (rep("r1"), rep("r2"))
    assert fits_pyvrp(solver_input(prepare(Problem(vehicles=reps, stops=stops))))
    limited = (*stops[:3], visit(3, allowed_vehicle_ids=frozenset({"r2"})))
    assert not fits_pyvrp(solver_input(prepare(Problem(vehicles=reps, stops=limited))))


def test_ortools_keeps_a_visit_on_the_reps_it_allows():
    stops = tuple(visit(i, allowed_vehicle_ids=frozenset({"r2"})) for i in range(6))
    prep = prepare(Problem(vehicles=(rep("r1"), rep("r2")), stops=stops))
    cand = solve_ortools(solver_input(prep), deadline=time.monotonic() + LIMIT_S)
    assert cand.orders is not None
    assert cand.orders[0] == () and sorted(cand.orders[1]) == list(range(6))


def _noon_day(**noon: object) -> Problem:
    """A rep on 08:30-17:30 with a lunch break; one shop by the office opens at noon, five a
    couple of km away are open from nine."""
    stops = (visit(0, km=0.3, windows=(TimeWindow(12 * H, 20 * H),), service_s=1800, **noon),)
    stops += tuple(visit(i, km=2.0, windows=(TimeWindow(9 * H, 18 * H),)) for i in range(1, 6))
    lunch = Break(window=TimeWindow(12 * H, 14 * H), duration_s=1800)
    r = rep(shift=TimeWindow(8 * H + 1800, 17 * H + 1800), break_=lunch, max_visits=10)
    return Problem(vehicles=(r,), stops=stops)


def test_a_day_starts_with_the_morning_visits_not_at_the_shop_that_opens_at_noon(plan_check):
    problem = _noon_day()
    solution = solve(problem, time_limit_s=LIMIT_S, seed=1)
    plan_check(problem, solution)
    first = solution.routes[0].visits[0]
    assert first.stop_id != "s0" and first.start_s == 9 * H  # as the morning shops open
    assert planned(solution)[-1] == "s0"


def test_reordering_for_an_earlier_start_keeps_pinned_visits_in_their_order(plan_check):
    problem = _noon_day(pinned_vehicle_id="r1", pinned_order=1)
    stops = list(problem.stops)
    stops[1] = replace(stops[1], pinned_vehicle_id="r1", pinned_order=2)
    problem = replace(problem, stops=tuple(stops))
    solution = solve(problem, time_limit_s=LIMIT_S, seed=1)
    plan_check(problem, solution)
    order = planned(solution)
    assert order.index("s0") < order.index("s1")


def test_the_distance_objective_is_not_reordered_for_idle_time():
    problem = replace(_noon_day(), objective=Objective.DISTANCE)
    prep = prepare(problem)
    orders = [[0, 1, 2, 3, 4, 5]]
    assert polish(prep, orders, [None], deadline=time.monotonic() + 1) == (orders, [None])


def test_replanning_mid_day_starts_from_where_the_rep_is(plan_check):
    here = near(7, km=2.0)
    stops = (
        visit(1, windows=(TimeWindow(9 * H, 10 * H),)),  # already missed
        visit(2),
        visit(3),
    )
    r = rep(current_location=here, current_time_s=13 * H + 600)
    problem = Problem(vehicles=(r,), stops=stops, now_s=13 * H)
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert reasons(solution) == {"s1": DropReason.OUTSIDE_WINDOWS}
    route = solution.routes[0]
    assert route.start_s >= 13 * H + 600
    first = route.visits[0]
    expected = GreatCircleProvider().matrix([here, near(int(first.stop_id[1:]))]).duration_s[0, 1]
    assert first.leg_duration_s == expected


def test_max_visits_and_capacity_are_respected(plan_check):
    stops = tuple(visit(i, demand=1) for i in range(5)) + (visit(9, demand=50),)
    problem = Problem(
        vehicles=(rep("r1", max_visits=2, capacity=10), rep("r2", max_visits=1, capacity=10)),
        stops=stops,
    )
    solution = solve(problem, time_limit_s=LIMIT_S)
    plan_check(problem, solution)
    assert len(planned(solution, 0)) <= 2 and len(planned(solution, 1)) <= 1
    got = reasons(solution)
    # s9 alone outweighs every rep; two of the others find every rep's visit allowance used up.
    assert got["s9"] == DropReason.CAPACITY
    assert len(got) == 3 and set(got.values()) == {DropReason.CAPACITY}


def test_a_slower_rep_drives_longer_for_the_same_legs(plan_check):
    stops = (visit(1), visit(2))
    fast = solve(Problem(vehicles=(rep(),), stops=stops), time_limit_s=LIMIT_S)
    slow_problem = Problem(vehicles=(rep(speed_factor=1.5),), stops=stops)
    slow = solve(slow_problem, time_limit_s=LIMIT_S)
    plan_check(slow_problem, slow)
    assert slow.drive_s > fast.drive_s
    assert slow.distance_m == fast.distance_m


windows = st.lists(
    st.tuples(st.integers(6, 18), st.integers(1, 4)).map(
        lambda t: TimeWindow(t[0] * H, (t[0] + t[1]) * H)
    ),
    max_size=2,
)


@settings(
    max_examples=12,
    deadline=None,
    # plan_check is a pure function handed out by a fixture: nothing to reset between examples.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 40),
            st.floats(0.1, 30.0),
            windows,
            st.integers(0, 3 * H),
            st.booleans(),
            st.booleans(),
        ),
        max_size=10,
    ),
    st.lists(st.tuples(st.integers(6, 12), st.integers(0, 10), st.booleans()), max_size=3),
)
def test_any_small_problem_gives_a_valid_plan(plan_check, visits, reps):
    stops = tuple(
        Stop(
            id=f"s{k}",
            location=None if missing else near(i, km),
            service_s=service,
            windows=tuple(sorted(ws, key=lambda w: w.start_s)),
            required=required,
        )
        for k, (i, km, ws, service, required, missing) in enumerate(visits)
    )
    vehicles = tuple(
        rep(
            f"r{k}",
            shift=TimeWindow(start * H, min(24, start + hours) * H),
            break_=Break(TimeWindow(12 * H, 14 * H), 1800) if brk else None,
        )
        for k, (start, hours, brk) in enumerate(reps)
    )
    problem = Problem(vehicles=vehicles, stops=stops)
    solution = solve(problem, time_limit_s=0.3, seed=0)
    plan_check(problem, solution)


def test_larger_problems_start_a_worker_and_still_return_a_valid_plan(plan_check):
    stops = tuple(visit(i, km=0.5 + (i % 7) * 0.4, service_s=600) for i in range(32))
    problem = Problem(vehicles=(rep("r1"), rep("r2"), rep("r3")), stops=stops)
    solution = solve(problem, time_limit_s=2.5, seed=3)
    plan_check(problem, solution)
    assert not solution.dropped
    # PyVRP runs here; the worker's OR-Tools and second PyVRP seed count when they answer in
    # time (on a loaded machine its start-up alone can eat the limit).
    assert "pyvrp:3" in solution.stats.candidates
    assert set(solution.stats.candidates) <= {"pyvrp:3", "ortools:ours", "pyvrp:4"}


def test_days_with_breaks_go_to_pyvrps_stand_in_then_ortools(plan_check):
    brk = Break(TimeWindow(12 * H, 14 * H), 1800)
    stops = tuple(visit(i, km=0.5 + (i % 7) * 0.4, service_s=900) for i in range(30))
    problem = Problem(vehicles=(rep("r1", break_=brk), rep("r2", break_=brk)), stops=stops)
    solution = solve(problem, time_limit_s=2.5)
    plan_check(problem, solution)  # Break's rule included
    # PyVRP on the stand-in, OR-Tools from its plan (or from scratch if it has none) and the
    # worker's PyVRP on the rest clients when it answers in time.
    assert "pyvrp:0" in solution.stats.candidates
    assert {"ortools:warm", "ortools:ours"} & set(solution.stats.candidates)
    assert set(solution.stats.candidates) <= {
        "pyvrp:0", "ortools:warm", "ortools:ours", "pyvrp-rests:1"
    }  # fmt: skip


def test_problems_pyvrp_cannot_express_go_to_ortools(plan_check):
    stops = tuple(visit(i, km=0.5 + (i % 7) * 0.4, service_s=900) for i in range(30))
    stops = (replace(stops[0], pinned_vehicle_id="r2"), *stops[1:])
    problem = Problem(vehicles=(rep("r1"), rep("r2")), stops=stops)
    solution = solve(problem, time_limit_s=2.5)
    plan_check(problem, solution)
    assert "ortools:ours" in solution.stats.candidates
    assert set(solution.stats.candidates) <= {"ortools:ours", "ortools:alt"}


def test_the_worker_process_answers_each_task_it_is_given():
    stops = tuple(visit(i, km=0.5 + (i % 7) * 0.4) for i in range(12))
    inp = solver_input(prepare(Problem(vehicles=(rep("r1"), rep("r2")), stops=stops)))
    start = time.monotonic()
    tasks = [("ortools", "alt", start + 5.0), ("pyvrp", 7, start + 5.5)]
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "routing.worker"],
        input=pickle.dumps((inp, tasks)),
        capture_output=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )
    answers = pickle.loads(done.stdout)
    assert [a.solver for a in answers] == ["ortools:alt", "pyvrp:7"]
    for answer in answers:
        assert answer.orders is not None
        assert sorted(k for order in answer.orders for k in order) == list(range(12))
