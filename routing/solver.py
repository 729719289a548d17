"""``solve()``: prepare once, run the portfolio inside the wall-clock limit, keep the best plan.

OR-Tools expresses everything the app needs (several windows a day, breaks, pins, mid-day
re-planning). Where a problem also fits PyVRP's model, PyVRP runs too: in this process while
OR-Tools runs in a spawned worker process, so both cores work and the limit stays wall-clock.
Each candidate is re-timed and costed by schedule.py; the cheaper feasible one wins.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from routing.candidate import Candidate, Task
from routing.matrix import DEFAULT_PROVIDER
from routing.model import Dropped, DropReason, Problem, Route, Solution, SolveStats
from routing.ortools_solver import solve_ortools
from routing.polish import polish
from routing.prepare import Prepared, SolverInput, prepare, solver_input
from routing.pyvrp_solver import fits_pyvrp, solve_pyvrp
from routing.schedule import Evaluated, evaluate, time_route

# Below this size a worker process costs more (start + imports ≈ 0.5 s) than a second core
# buys: the two members then share the limit one after the other.
PARALLEL_MIN_STOPS = 30
PARALLEL_MIN_LIMIT_S = 2.0
# Reserved at the end of the limit for judging the candidates and building the Solution.
FINISH_S = 0.15
FINISH_PER_STOP_S = 0.0002
# The worker stops this much earlier still, to pickle its answer and exit; a worker that has
# not answered by the search deadline is killed and ignored.
WORKER_RETURN_S = 0.05
ORTOOLS_SLICE = 0.15
# The reordering pass after the search (polish.py) stops this long before the limit.
POLISH_MARGIN_S = 0.05


# (orders per vehicle in SolverInput stop numbers, break hints) -> orders that keep every rule
# by schedule.py's judgement, the visits that broke one put back elsewhere or left out.
Repair = Callable[
    [tuple[tuple[int, ...], ...], tuple[int | None, ...]], tuple[tuple[int, ...], ...]
]
# With breaks or split windows, PyVRP searches the stand-in problem for this share of the time,
# then OR-Tools starts from its repaired plan (pyvrp_solver.build_data; bench/field.py). On
# RC101/R105 with breaks at 10 s, 0.3/0.5/0.7 gave 1768.9/1750.3/1746.7 and 1419.4/1403.3/1412.3.
RELAXED_PYVRP_SHARE = 0.5
REST_MARGIN_S = 0.2
REST_MARGIN_SHARE = 0.03


def solve(problem: Problem, *, time_limit_s: float, seed: int | None = None) -> Solution:
    """Plan ``problem`` within ``time_limit_s`` seconds of wall clock, all work included."""
    t0 = time.monotonic()
    deadline = t0 + time_limit_s
    prep = prepare(problem)
    candidates: list[Candidate] = []
    if prep.plannable:
        candidates = run_portfolio(
            solver_input(prep), deadline=deadline, seed=seed or 0, repair=repairer(prep)
        )
    return build_solution(prep, candidates, t0=t0, time_limit_s=time_limit_s)


def repairer(prep: Prepared) -> Repair:
    """Leave out, route by route, the visit whose removal helps most until the route is valid,
    then put each back where it fits cheapest (a spare rep's empty day included)."""

    def repair(
        orders: tuple[tuple[int, ...], ...], hints: tuple[int | None, ...]
    ) -> tuple[tuple[int, ...], ...]:
        out: list[list[int]] = []
        left_out: list[int] = []
        for v, order in enumerate(orders):
            kept = list(order)

            def judged(ks: list[int], v: int = v, whole: int = len(order)) -> tuple[int, int]:
                hint = hints[v] if len(ks) == whole else None  # the solver's own break
                timed = time_route(prep, v, [prep.plannable[x] for x in ks], hint)
                return len(timed.violations), timed.cost

            while kept and judged(kept)[0]:
                drop = min(range(len(kept)), key=lambda i: judged(kept[:i] + kept[i + 1 :]))
                left_out.append(kept.pop(drop))
            out.append(kept)
        # Put each visit left out back where it costs least and keeps its route valid, spare
        # reps included: OR-Tools' search is slow to re-insert many visits by itself.
        allowed = dict(enumerate(prep.allowed))
        costs = [
            time_route(prep, v, [prep.plannable[x] for x in o]).cost for v, o in enumerate(out)
        ]
        for x in left_out:
            best: tuple[int, int, int, int] | None = None  # (extra cost, vehicle, position, cost)
            for v in allowed[x]:
                for i in range(len(out[v]) + 1):
                    trial = out[v][:i] + [x] + out[v][i:]
                    timed = time_route(prep, v, [prep.plannable[y] for y in trial])
                    if not timed.violations and (best is None or timed.cost - costs[v] < best[0]):
                        best = (timed.cost - costs[v], v, i, timed.cost)
            if best is not None:
                _, v, i, cost = best
                out[v].insert(i, x)
                costs[v] = cost
        return tuple(tuple(o) for o in out)

    return repair


def _pyvrp_then_ortools(
    inp: SolverInput, *, switch_at: float, deadline: float, seed: int, repair: Repair
) -> list[Candidate]:
    """PyVRP on the stand-in problem, then OR-Tools from its plan, repaired, to ``deadline``."""
    first = solve_pyvrp(inp, deadline=switch_at, seed=seed, relax=True)
    initial = repair(first.orders, first.breaks) if first.orders is not None else None
    return [first, solve_ortools(inp, deadline=deadline, initial=initial)]


def run_portfolio(
    inp: SolverInput, *, deadline: float, seed: int, repair: Repair | None = None
) -> list[Candidate]:
    """Every member's plan, all back before ``deadline`` minus the time to build the answer."""
    k = len(inp.stop_point)
    search_deadline = deadline - FINISH_S - FINISH_PER_STOP_S * k
    fits = fits_pyvrp(inp)
    relaxed = not fits and repair is not None and fits_pyvrp(inp, relaxed=True)
    remaining = search_deadline - time.monotonic()
    parallel = (
        k >= PARALLEL_MIN_STOPS
        and remaining >= PARALLEL_MIN_LIMIT_S
        and (os.cpu_count() or 1) >= 2
        and not multiprocessing.current_process().daemon  # keep Celery workers to one core
    )
    switch_at = time.monotonic() + RELAXED_PYVRP_SHARE * remaining
    if not parallel:
        if relaxed and repair is not None:
            return _pyvrp_then_ortools(
                inp, switch_at=switch_at, deadline=search_deadline, seed=seed, repair=repair
            )
        if not fits:
            return [solve_ortools(inp, deadline=search_deadline)]
        first = solve_pyvrp(inp, deadline=time.monotonic() + remaining / 2, seed=seed)
        return [first, solve_ortools(inp, deadline=search_deadline)]

    worker_deadline = search_deadline - WORKER_RETURN_S
    tasks: list[Task]
    if fits:
        # OR-Tools gets a slice for a safe plan, then the core searches with a second PyVRP seed:
        # on these problems two PyVRP runs beat one PyVRP and one OR-Tools run.
        ortools_until = time.monotonic() + ORTOOLS_SLICE * remaining
        tasks = [("ortools", "ours", ortools_until), ("pyvrp", seed + 1, worker_deadline)]
    else:
        # PyVRP on the other stand-in, with another seed: far ahead of OR-Tools from scratch
        # on days with breaks (C101: 1244.2 against 1353.0), and sometimes of the main
        # process (pyvrp_solver.build_data); the main process keeps OR-Tools as safety net.
        # Its iterations on twice the clients are long: stop early enough to answer in time
        # (on a loaded machine C101's answer came too late with the plain margin).
        rests_until = worker_deadline - REST_MARGIN_S - REST_MARGIN_SHARE * remaining
        tasks = [
            ("pyvrp-rests", seed + 1, rests_until)
            if relaxed
            else ("ortools", "alt", worker_deadline)
        ]
    worker, answer = _start_worker(inp, tasks)
    if fits:
        results = [solve_pyvrp(inp, deadline=search_deadline, seed=seed)]
    elif relaxed and repair is not None:
        # OR-Tools runs here either way (warm from the repaired plan, or from scratch when
        # PyVRP found nothing), so the safety net stays in this process.
        results = _pyvrp_then_ortools(
            inp, switch_at=switch_at, deadline=search_deadline, seed=seed, repair=repair
        )
    else:
        results = [solve_ortools(inp, deadline=search_deadline, config="ours")]
    answer.join(timeout=max(0.0, search_deadline - time.monotonic()))
    # Its answer is in (or it is late, which is as good as absent): no need to watch it exit.
    worker.kill()
    worker.wait()
    answer.join()
    if answer.out:
        try:
            results.extend(pickle.loads(answer.out))  # noqa: S301 - our own child's answer
        except (pickle.UnpicklingError, EOFError, ValueError):
            pass  # cut off mid-answer by the deadline
    return results


class _Pipe(threading.Thread):
    """Feeds the job to the worker and collects its answer, so nothing blocks on a full pipe."""

    def __init__(self, worker: subprocess.Popen[bytes], job: bytes) -> None:
        super().__init__(daemon=True)
        self.worker, self.job, self.out = worker, job, b""

    def run(self) -> None:
        assert self.worker.stdin is not None and self.worker.stdout is not None
        try:
            self.worker.stdin.write(self.job)
            self.worker.stdin.close()
            self.out = self.worker.stdout.read()
        except OSError:
            self.out = b""


def _start_worker(inp: SolverInput, tasks: list[Task]) -> tuple[subprocess.Popen[bytes], _Pipe]:
    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    worker = subprocess.Popen(
        [sys.executable, "-m", "routing.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    answer = _Pipe(worker, pickle.dumps((inp, tasks)))
    answer.start()
    return worker, answer


def _map_orders(prep: Prepared, cand: Candidate) -> list[list[int]]:
    assert cand.orders is not None
    return [[prep.plannable[k] for k in order] for order in cand.orders]


def _repair(
    prep: Prepared, ev: Evaluated, orders: list[list[int]], breaks: list[int | None]
) -> Evaluated:
    """Last resort, never expected: drop visits from the end of a bad route until it is valid."""
    for v, timed in enumerate(ev.routes):
        while timed.violations and orders[v]:
            orders[v].pop()
            timed = time_route(prep, v, orders[v], breaks[v])
    return evaluate(prep, orders, breaks)


def build_solution(
    prep: Prepared, candidates: list[Candidate], *, t0: float, time_limit_s: float
) -> Solution:
    problem = prep.problem
    n_vehicles = len(problem.vehicles)
    scored: dict[str, int | None] = {}
    best: tuple[Evaluated, str, list[int | None]] | None = None
    for cand in candidates:
        if cand.orders is None:
            scored[cand.solver] = None
            continue
        ev = evaluate(prep, _map_orders(prep, cand), list(cand.breaks))
        scored[cand.solver] = ev.cost if ev.feasible else None
        if ev.feasible and (best is None or ev.cost < best[0].cost):
            best = (ev, cand.solver, list(cand.breaks))
    if best is None:
        usable = [c for c in candidates if c.orders is not None]
        if usable:
            cand = usable[0]
            orders, breaks = _map_orders(prep, cand), list(cand.breaks)
            best = (
                _repair(prep, evaluate(prep, orders, breaks), orders, breaks),
                cand.solver,
                breaks,
            )
        else:
            best = (
                evaluate(prep, [[] for _ in range(n_vehicles)], [None] * n_vehicles),
                "none",
                [],
            )
    ev, solver_name, _ = best
    if ev.feasible:
        orders = [list(_stop_indices(prep, t.route)) for t in ev.routes]
        orders, breaks = polish(prep, orders, best[2] or [None] * n_vehicles,
                                deadline=t0 + time_limit_s - POLISH_MARGIN_S)  # fmt: skip
        polished = evaluate(prep, orders, breaks)
        if polished.feasible and polished.cost < ev.cost:
            ev = polished

    provider = problem.provider or DEFAULT_PROVIDER
    routes: list[Route] = []
    for v, timed in enumerate(ev.routes):
        route = timed.route
        if route.visits:
            stops = [problem.stops[s] for s in _stop_indices(prep, route)]
            path = [prep.points[prep.start_point[v]]]
            path += [s.location for s in stops if s.location is not None]
            path.append(prep.points[prep.end_point[v]])
            route = _with_geometry(route, provider.geometry(path))
        routes.append(route)
    found = bool(candidates) and any(c.orders is not None for c in candidates)
    dropped = list(prep.dropped) + [_why_left_out(prep, ev, s, found) for s in ev.dropped]
    stats = SolveStats(
        solver=solver_name,
        time_limit_s=time_limit_s,
        wall_s=time.monotonic() - t0,
        matrix_s=prep.matrix_s,
        cost=ev.cost,
        candidates=scored,
    )
    return Solution(tuple(routes), tuple(dropped), stats)


def _why_left_out(prep: Prepared, ev: Evaluated, s: int, found: bool) -> Dropped:
    """A visit the plan left out: every rep that could do it is full, or there was no time."""
    stop = prep.problem.stops[s]
    if not found:
        return Dropped(stop.id, DropReason.NO_TIME, "no plan found within the time limit")
    allowed = dict(zip(prep.plannable, prep.allowed, strict=True))[s]

    def full(v: int) -> bool:
        vehicle, visits = prep.problem.vehicles[v], ev.routes[v].route.visits
        if vehicle.max_visits is not None and len(visits) >= vehicle.max_visits:
            return True
        load = sum(prep.problem.stops[i].demand for i in _stop_indices(prep, ev.routes[v].route))
        return vehicle.capacity is not None and load + stop.demand > vehicle.capacity

    if all(full(v) for v in allowed):
        return Dropped(stop.id, DropReason.CAPACITY, "every rep who could take it is full")
    return Dropped(stop.id, DropReason.NO_TIME, "did not fit with the other visits")


def _stop_indices(prep: Prepared, route: Route) -> list[int]:
    by_id = {prep.problem.stops[s].id: s for s in prep.plannable}
    return [by_id[visit.stop_id] for visit in route.visits]


def _with_geometry(route: Route, geometry: list[tuple[float, float]]) -> Route:
    from dataclasses import replace

    return replace(route, geometry=tuple(geometry))
