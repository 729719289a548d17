"""Field days: the break rule, split opening windows through PyVRP, breaks through PyVRP's
stand-in and OR-Tools warm-started from it. Every plan goes through the independent checker."""

from __future__ import annotations

import importlib.util
import sys
import time
from dataclasses import replace
from pathlib import Path

from routing import Break, Location, PlanarProvider, Problem, Stop, TimeWindow, Vehicle, solve
from routing.model import Objective
from routing.ortools_solver import solve_ortools
from routing.prepare import prepare, solver_input
from routing.pyvrp_solver import build_data, fits_pyvrp, solve_pyvrp
from routing.schedule import evaluate, time_route
from routing.solver import repairer
from routing.vrplib import read_instance, to_problem

DEPOT = Location(lat=0, lon=0)
ROOT = Path(__file__).resolve().parents[2]


def planar(vehicles: tuple[Vehicle, ...], stops: tuple[Stop, ...]) -> Problem:
    return Problem(vehicles, stops, provider=PlanarProvider(1), objective=Objective.DISTANCE)


def day_66_to_1046(window: TimeWindow) -> Problem:
    """The case an independent check found: one visit 66 away, a route working 66-1046."""
    rep = Vehicle("v1", DEPOT, TimeWindow(0, 3000), break_=Break(window, 60))
    shop = Stop("a", Location(lat=0, lon=66), service_s=848, windows=(TimeWindow(132, 132),))
    return planar((rep,), (shop,))


def test_a_day_overlapping_the_break_window_takes_the_break(plan_check):
    problem = day_66_to_1046(TimeWindow(800, 1600))
    prep = prepare(problem)
    timed = time_route(prep, 0, [0])
    assert not timed.violations
    route = timed.route
    # Without the break the day would be 66-1046, overlapping 800-1600: rest before the drive home.
    assert (route.start_s, route.break_start_s, route.end_s) == (66, 980, 1106)
    solution = solve(problem, time_limit_s=1, seed=1)
    plan_check(problem, solution)
    assert not solution.dropped
    assert solution.routes[0].break_start_s is not None


def test_a_rep_finished_before_the_window_opens_needs_no_break(plan_check):
    problem = day_66_to_1046(TimeWindow(1046, 1600))
    solution = solve(problem, time_limit_s=1, seed=1)
    plan_check(problem, solution)
    route = solution.routes[0]
    assert (route.start_s, route.end_s, route.break_start_s) == (66, 1046, None)


def test_a_rep_who_may_only_start_late_in_the_window_starts_when_it_closes():
    rep = Vehicle("v1", DEPOT, TimeWindow(1580, 3000), break_=Break(TimeWindow(800, 1600), 60))
    prep = prepare(planar((rep,), (Stop("a", Location(lat=0, lon=10)),)))
    assert prep.earliest_s == (1600,)


def split_day() -> Problem:
    """One rep; "b" only at 100-105 for 300; "a" far away, open 100-130 or 600-700."""
    rep = Vehicle("v1", DEPOT, TimeWindow(0, 2000))
    b = Stop("b", Location(lat=0, lon=100), service_s=300, windows=(TimeWindow(100, 105),),
             required=True)  # fmt: skip
    a = Stop("a", Location(lat=0, lon=-100), service_s=50, required=True,
             windows=(TimeWindow(100, 130), TimeWindow(600, 700)))  # fmt: skip
    return planar((rep,), (b, a))


def test_split_windows_become_one_pyvrp_group_of_alternatives_at_one_location():
    inp = solver_input(prepare(split_day()))
    assert not fits_pyvrp(inp) and fits_pyvrp(inp, relaxed=True)
    data, client_stop, members = build_data(inp)
    assert client_stop == [0, 1, 1]
    assert data.num_groups == 1 and list(data.group(0).clients) == [1, 2]
    assert data.group(0).required
    clients = data.clients()
    assert clients[1].location == clients[2].location != clients[0].location
    assert [c.group for c in clients] == [None, 0, 0]
    assert [(c.tw_early, c.tw_late) for c in clients] == [(100, 105), (100, 130), (600, 700)]
    assert members == [[0]]


def test_pyvrp_serves_a_split_window_visit_in_its_later_window(plan_check):
    problem = split_day()
    prep = prepare(problem)
    cand = solve_pyvrp(solver_input(prep), deadline=time.monotonic() + 30, seed=1,
                       max_iterations=200)  # fmt: skip
    assert cand.orders == ((0, 1),)
    ev = evaluate(prep, [list(cand.orders[0])], [None])
    assert ev.feasible
    assert [v.start_s for v in ev.routes[0].route.visits] == [100, 600]
    solution = solve(problem, time_limit_s=1, seed=1)
    plan_check(problem, solution)
    assert solution.stats.solver.startswith("pyvrp") or "pyvrp:1" in solution.stats.candidates


def test_an_optional_split_window_visit_no_window_of_which_fits_is_left_out():
    problem = split_day()
    a = replace(
        problem.stops[1], required=False, windows=(TimeWindow(100, 130), TimeWindow(150, 160))
    )
    problem = replace(problem, stops=(problem.stops[0], a))
    cand = solve_pyvrp(solver_input(prepare(problem)), deadline=time.monotonic() + 30, seed=1,
                       max_iterations=200)  # fmt: skip
    assert cand.orders == ((0,),)


def first_customers(n: int) -> Problem:
    instance = read_instance(ROOT / "tests" / "data" / "vrptw" / "R101.vrp")
    v = instance.problem.vehicles[0]
    rows = [(v.start.lon, v.start.lat, 0, v.shift.start_s // 10, v.shift.end_s // 10, 0)]
    rows += [
        (
            s.location.lon,
            s.location.lat,
            s.demand,
            s.windows[0].start_s // 10,  # type: ignore[union-attr]
            s.windows[0].end_s // 10,
            s.service_s // 10,
        )  # fmt: skip
        for s in instance.problem.stops[:n]
    ]
    return to_problem(rows, fleet=instance.fleet_size, capacity=instance.capacity)


def with_lunch(problem: Problem) -> Problem:
    brk = Break(TimeWindow(920, 1380), 115)
    return replace(problem, vehicles=tuple(replace(v, break_=brk) for v in problem.vehicles))


def test_plain_vrptw_and_split_windows_go_the_pyvrp_path_breaks_its_stand_in():
    plain = solver_input(prepare(first_customers(25)))
    assert fits_pyvrp(plain)
    lunch = solver_input(prepare(with_lunch(first_customers(25))))
    assert not fits_pyvrp(lunch) and fits_pyvrp(lunch, relaxed=True)


def test_breaks_warm_start_ortools_from_pyvrps_repaired_plan(plan_check):
    problem = with_lunch(first_customers(25))
    prep = prepare(problem)
    inp = solver_input(prep)
    first = solve_pyvrp(inp, deadline=time.monotonic() + 30, seed=1, relax=True,
                        max_iterations=300)  # fmt: skip
    assert first.orders is not None
    initial = repairer(prep)(first.orders, first.breaks)
    kept = [[prep.plannable[k] for k in order] for order in initial]
    assert evaluate(prep, kept, [None] * len(kept)).feasible
    warm = solve_ortools(inp, deadline=time.monotonic() + 1.0, initial=initial)
    assert warm.solver == "ortools:warm" and warm.orders is not None
    ev = evaluate(prep, [[prep.plannable[k] for k in o] for o in warm.orders], list(warm.breaks))
    assert ev.feasible and not ev.dropped
    solution = solve(problem, time_limit_s=1.5, seed=1)
    plan_check(problem, solution)
    assert not solution.dropped
    assert "pyvrp:1" in solution.stats.candidates  # the warm start or, starved, from scratch
    assert {"ortools:warm", "ortools:ours"} & set(solution.stats.candidates)


def test_field_bench_checker_rejects_a_day_without_its_break():
    spec = importlib.util.spec_from_file_location("bench_field", ROOT / "bench" / "field.py")
    assert spec is not None and spec.loader is not None
    field = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = field  # its dataclasses look their module up
    spec.loader.exec_module(field)
    problem = day_66_to_1046(TimeWindow(800, 1600))
    assert not field.check_orders(problem, [["a"]]).errors  # a valid timing with the break
    problem = replace(problem, vehicles=(replace(problem.vehicles[0], shift=TimeWindow(0, 1050)),))
    assert field.check_orders(problem, [["a"]]).errors  # no room for it before the shift ends
    lunch_late = day_66_to_1046(TimeWindow(1046, 1600))
    lunch_late = replace(
        lunch_late, vehicles=(replace(lunch_late.vehicles[0], shift=TimeWindow(0, 1050)),)
    )
    assert not field.check_orders(lunch_late, [["a"]]).errors  # home by the opening: none needed


def test_the_rest_clients_stand_in_gives_each_route_its_break_and_no_extra_visit():
    problem = with_lunch(first_customers(25))
    prep = prepare(problem)
    inp = solver_input(prep)
    data, client_stop, _ = build_data(inp, relax=True, rests=True)
    assert data.num_clients == 25 + 26 and client_stop.count(-1) == 26  # a rest at every place
    cand = solve_pyvrp(inp, deadline=time.monotonic() + 30, seed=1, relax=True, rests=True,
                       max_iterations=300)  # fmt: skip
    assert cand.solver == "pyvrp-rests:1" and cand.orders is not None
    assert sorted(k for order in cand.orders for k in order) == list(range(25))
    for order, hint in zip(cand.orders, cand.breaks, strict=True):
        if order:
            assert hint is not None and 920 <= hint <= 1380 - 115
