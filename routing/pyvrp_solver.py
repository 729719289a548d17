"""The PyVRP member of the portfolio, for the problems its model expresses.

PyVRP (MIT) is far stronger than OR-Tools on plain VRPTW at short time limits. A visit with
several opening windows (a shop closed at lunch) becomes a mutually exclusive group of
alternative clients, one per window, at the same location: PyVRP visits exactly one of them
(or none, for an optional visit, at the price of its prize). PyVRP has no breaks and no pinned
visits, and mid-day re-planning stays on OR-Tools. With breaks or split windows PyVRP searches
a stand-in problem (``build_data(relax=True)``) and the portfolio repairs and polishes that plan
with OR-Tools warm-started from it (solver.py).
Visit counts become a second load dimension (each visit weighs 1), optional visits are clients
with ``required=False`` and a prize equal to our drop penalty.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import (
    MaxIterations,
    MaxRuntime,
    MultipleCriteria,
    NoImprovement,
    StoppingCriterion,
)

from routing.candidate import Candidate
from routing.model import UNREACHABLE
from routing.prepare import SolverInput

STOP_EARLY_S = 0.1
# A day of a few visits converges in well under a second: stop when nothing improves for this
# many iterations instead of burning the whole limit (a planner waits for the answer).
SMALL_PROBLEM = 20
SMALL_NO_IMPROVEMENT = 2_000
REST_PRIZE_LEGS = 2
UNLIMITED = 2**63 - 1  # PyVRP's own default for a vehicle type's shift duration


def fits_pyvrp(inp: SolverInput, *, relaxed: bool = False) -> bool:
    """PyVRP models ``inp`` as it is (one window a visit, no breaks) or, ``relaxed``, with a
    stand-in for breaks and split windows whose plan OR-Tools then repairs (``build_data``)."""
    if inp.mid_day or inp.pinned_chains:
        return False
    if not relaxed and (
        any(b is not None for b in inp.breaks) or any(len(w) > 1 for w in inp.windows)
    ):
        return False
    if any(len(a) < len(inp.start_point) for a in inp.allowed):  # pins or per-rep limits
        return False
    # One duration profile: every rep shares a matrix (same speed factor).
    if (
        len({id(m) for m in inp.time_by_vehicle}) > 1
        or len({id(m) for m in inp.cost_by_vehicle}) > 1
    ):
        return False
    points = list({*inp.stop_point, *inp.start_point, *inp.end_point})
    sub = inp.time_by_vehicle[0][np.ix_(points, points)] if points else np.zeros((0, 0))
    return not bool((sub >= UNREACHABLE).any())


def build_data(
    inp: SolverInput, *, relax: bool = False, rests: bool = False
) -> tuple[pyvrp.ProblemData, list[int], list[list[int]]]:
    """PyVRP's problem, the stop number of each PyVRP client (-1: a break), the reps of each
    vehicle type.

    Split windows become a group of alternatives (exact). ``relax`` instead gives each visit
    the span of its windows, closures included: measured on Solomon C101 with a third of the
    windows split, PyVRP alone for 3 s found 1062.0 with the exact groups, 827.3 on the span
    with 2 visits left in a closure (VROOM 848.0 at 10 s): PyVRP's search moves poorly between
    a group's alternatives, so the portfolio uses the span and lets OR-Tools, which has the
    exact windows, repair and polish (solver.py).

    Breaks (``relax`` only): by default each rep with a break has a working day shorter by its
    length (a route may still start late); with ``rests`` they become break clients instead.
    Measured on 5 Solomon instances with a break per rep (bench/field.py, 10 s), each then
    repaired and polished by OR-Tools: the shorter day 1244.9 / 1679.2 / 1756.7 / 1429.9 on
    C101 / R101 / RC101 / R105, the rests 1244.2 / 1681.1 / 1827.0 / 1446.6; the portfolio
    searches the first in the main process, the second with another seed in the worker.

    Rests: one break client at every location, serving the break's
    length inside its window. Resting "at" the visit just made or the one next costs no
    distance, so a break next to its own location is exactly a rest taken there. A load
    dimension per kind of break, of which each rep with that break carries one, keeps it to
    one break a route and to the reps who have it; each break client's prize equals the fixed
    cost of a rep who has a break, so a route pays that cost unless it rests, and a rep that
    only rests costs nothing (its route is ignored). Stricter than Break's rule in one way: a
    route that ends before the window opens still rests (at no distance).
    """
    k, n_vehicles = len(inp.stop_point), len(inp.start_point)
    depot_points = sorted({*inp.start_point, *inp.end_point})
    depot_of = {p: i for i, p in enumerate(depot_points)}
    loc_points = depot_points + list(inp.stop_point)  # PyVRP locations: depots, then stops
    ix = np.array(loc_points, dtype=np.int64)
    durations = inp.time_by_vehicle[0][np.ix_(ix, ix)]
    costs = inp.cost_by_vehicle[0][np.ix_(ix, ix)]
    big = inp.horizon_s
    total_demand = max(1, sum(inp.demand))
    # The visit-count dimension only when some rep has a limit: every load dimension costs
    # PyVRP time in each move evaluation.
    counted = any(m is not None for m in inp.max_visits)
    kinds = sorted({b for b in inp.breaks if b is not None}) if relax and rests else []
    # Worth more than the longest detours that make room for a rest, yet small beside PyVRP's
    # penalty for a second break in a route (excess load), which it would otherwise pay.
    rest_prize = max(1, REST_PRIZE_LEGS * int(costs.max(initial=0)))

    def loads(demand: int, visits: int, kind: int | None) -> list[int]:
        out = [demand, visits] if counted else [demand]
        return out + [int(kind == j) for j in range(len(kinds))]

    locations = [pyvrp.Location(0.0, 0.0) for _ in loc_points]  # coordinates unused by the search
    depots = [pyvrp.Depot(i, tw_early=0, tw_late=big) for i in range(len(depot_points))]
    clients: list[pyvrp.Client] = []
    client_stop: list[int] = []
    groups: list[pyvrp.ClientGroup] = []
    for s in range(k):
        windows = inp.windows[s]
        if relax:
            windows = ((windows[0][0], windows[-1][1]),)
        split = len(windows) > 1
        if split:
            first = len(clients)
            groups.append(
                pyvrp.ClientGroup(list(range(first, first + len(windows))), inp.required[s])
            )
        for lo, hi in windows:
            # Members of a group are optional clients; the group says whether one is required.
            clients.append(
                pyvrp.Client(
                    len(depot_points) + s,  # every alternative of a stop shares its location
                    delivery=loads(inp.demand[s], 1, None),
                    service_duration=inp.service_s[s],
                    tw_early=lo,
                    tw_late=hi,
                    required=inp.required[s] and not split,
                    prize=0 if inp.required[s] else int(inp.penalty[s]),
                    group=len(groups) - 1 if split else None,
                )
            )
            client_stop.append(s)
    for j, (earliest, latest, duration) in enumerate(kinds):
        for loc in range(len(loc_points)):
            clients.append(
                pyvrp.Client(
                    loc,
                    delivery=loads(0, 0, j),
                    service_duration=duration,
                    tw_early=earliest,
                    tw_late=latest,
                    required=False,
                    prize=rest_prize,
                )
            )
            client_stop.append(-1)
    # Identical reps share one vehicle type: PyVRP searches faster with fewer types.
    types: dict[tuple[int, ...], list[int]] = {}
    for v in range(n_vehicles):
        cap, visits = inp.capacity[v], inp.max_visits[v]
        brk = inp.breaks[v]
        span = UNLIMITED  # the shift's window already bounds a day
        if relax and not rests and brk is not None:
            span = max(0, inp.latest_s[v] - inp.earliest_s[v] - brk[2])
        key = (
            inp.start_point[v],
            inp.end_point[v],
            inp.earliest_s[v],
            inp.latest_s[v],
            total_demand if cap is None else cap,
            k if visits is None else visits,
            kinds.index(brk) if brk in kinds else -1,
            span,
        )
        types.setdefault(key, []).append(v)
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(members),
            capacity=loads(cap, visits, kind if kind >= 0 else None),
            start_depot=depot_of[start],
            end_depot=depot_of[end],
            fixed_cost=rest_prize if kind >= 0 else 0,
            tw_early=early,
            tw_late=late,
            shift_duration=span,
            unit_distance_cost=1,
            unit_duration_cost=0,
        )
        for (start, end, early, late, cap, visits, kind, span), members in types.items()
    ]
    # PyVRP's stubs spell the matrix type ndarray[int]; any int64 2-D array is what it takes.
    distance_matrices: Any = [costs]
    duration_matrices: Any = [durations]
    data = pyvrp.ProblemData(
        locations, clients, depots, vehicle_types, distance_matrices, duration_matrices, groups
    )
    return data, client_stop, list(types.values())


def solve_pyvrp(
    inp: SolverInput,
    *,
    deadline: float,
    seed: int = 0,
    relax: bool = False,
    rests: bool = False,
    max_iterations: int | None = None,
) -> Candidate:
    """Search until ``deadline`` (or ``max_iterations``, which tests use to be repeatable)."""
    k, n_vehicles = len(inp.stop_point), len(inp.start_point)
    data, client_stop, members = build_data(inp, relax=relax, rests=rests)
    name = f"pyvrp-rests:{seed}" if relax and rests else f"pyvrp:{seed}"
    limit = max(0.01, deadline - time.monotonic() - STOP_EARLY_S)
    stop: StoppingCriterion = MaxRuntime(limit)
    if max_iterations is not None:
        stop = MaxIterations(max_iterations)
    elif k <= SMALL_PROBLEM:
        stop = MultipleCriteria([stop, NoImprovement(SMALL_NO_IMPROVEMENT)])
    search_t0 = time.monotonic()
    with warnings.catch_warnings():
        # PyVRP warns when its penalties saturate on a hard instance; we judge the result
        # ourselves (is_feasible below, then schedule.evaluate), so the warning is noise.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp.solve(data, stop, seed=seed, collect_stats=False, display=False)
    search_s = time.monotonic() - search_t0
    if not result.best.is_feasible():
        return Candidate(name, None, (None,) * n_vehicles, search_s, limit)

    orders: list[tuple[int, ...]] = [() for _ in range(n_vehicles)]
    breaks: list[int | None] = [None] * n_vehicles
    free = [list(m) for m in members]
    for route in result.best.routes():
        v = free[route.vehicle_type()].pop(0)
        orders[v] = tuple(
            client_stop[a.idx] for a in route if a.is_client() and client_stop[a.idx] >= 0
        )
        for a in route.schedule():
            if a.is_client() and client_stop[a.idx] < 0:
                breaks[v] = int(a.start_time)  # a hint for schedule.py, like OR-Tools' own
    return Candidate(name, tuple(orders), tuple(breaks), search_s, limit)
