"""The PyVRP member of the portfolio, for the problems its model expresses.

PyVRP (MIT) is far stronger than OR-Tools on plain VRPTW at short time limits, but it has one
window per client, no breaks, no pinned visits; we also keep mid-day re-planning on OR-Tools.
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
from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement, StoppingCriterion

from routing.candidate import Candidate
from routing.model import UNREACHABLE
from routing.prepare import SolverInput

STOP_EARLY_S = 0.1
# A day of a few visits converges in well under a second: stop when nothing improves for this
# many iterations instead of burning the whole limit (a planner waits for the answer).
SMALL_PROBLEM = 20
SMALL_NO_IMPROVEMENT = 2_000


def fits_pyvrp(inp: SolverInput) -> bool:
    if inp.mid_day or inp.pinned_chains or any(b is not None for b in inp.breaks):
        return False
    if any(len(w) > 1 for w in inp.windows):
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


def solve_pyvrp(inp: SolverInput, *, deadline: float, seed: int = 0) -> Candidate:
    k, n_vehicles = len(inp.stop_point), len(inp.start_point)
    depot_points = sorted({*inp.start_point, *inp.end_point})
    depot_of = {p: i for i, p in enumerate(depot_points)}
    loc_points = depot_points + list(inp.stop_point)  # PyVRP locations: depots, then clients
    ix = np.array(loc_points, dtype=np.int64)
    durations = inp.time_by_vehicle[0][np.ix_(ix, ix)]
    costs = inp.cost_by_vehicle[0][np.ix_(ix, ix)]
    big = inp.horizon_s
    total_demand = max(1, sum(inp.demand))
    # The visit-count dimension only when some rep has a limit: every load dimension costs
    # PyVRP time in each move evaluation.
    counted = any(m is not None for m in inp.max_visits)

    locations = [pyvrp.Location(0.0, 0.0) for _ in loc_points]  # coordinates unused by the search
    depots = [pyvrp.Depot(i, tw_early=0, tw_late=big) for i in range(len(depot_points))]
    clients = [
        pyvrp.Client(
            len(depot_points) + s,
            delivery=[inp.demand[s], 1] if counted else [inp.demand[s]],
            service_duration=inp.service_s[s],
            tw_early=inp.windows[s][0][0],
            tw_late=inp.windows[s][0][1],
            required=inp.required[s],
            prize=0 if inp.required[s] else int(inp.penalty[s]),
        )
        for s in range(k)
    ]
    # Identical reps share one vehicle type: PyVRP searches faster with fewer types.
    types: dict[tuple[int, ...], list[int]] = {}
    for v in range(n_vehicles):
        cap, visits = inp.capacity[v], inp.max_visits[v]
        key = (
            inp.start_point[v],
            inp.end_point[v],
            inp.earliest_s[v],
            inp.latest_s[v],
            total_demand if cap is None else cap,
            k if visits is None else visits,
        )
        types.setdefault(key, []).append(v)
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(members),
            capacity=[cap, visits] if counted else [cap],
            start_depot=depot_of[start],
            end_depot=depot_of[end],
            tw_early=early,
            tw_late=late,
            unit_distance_cost=1,
            unit_duration_cost=0,
        )
        for (start, end, early, late, cap, visits), members in types.items()
    ]
    # PyVRP's stubs spell the matrix type ndarray[int]; any int64 2-D array is what it takes.
    matrices: Any = ([costs], [durations])
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, *matrices)
    limit = max(0.01, deadline - time.monotonic() - STOP_EARLY_S)
    stop: StoppingCriterion = MaxRuntime(limit)
    if k <= SMALL_PROBLEM:
        stop = MultipleCriteria([stop, NoImprovement(SMALL_NO_IMPROVEMENT)])
    search_t0 = time.monotonic()
    with warnings.catch_warnings():
        # PyVRP warns when its penalties saturate on a hard instance; we judge the result
        # ourselves (is_feasible below, then schedule.evaluate), so the warning is noise.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp.solve(data, stop, seed=seed, collect_stats=False, display=False)
    search_s = time.monotonic() - search_t0
    if not result.best.is_feasible():
        return Candidate(f"pyvrp:{seed}", None, (None,) * n_vehicles, search_s, limit)

    orders: list[tuple[int, ...]] = [() for _ in range(n_vehicles)]
    free = [list(members) for members in types.values()]
    for route in result.best.routes():
        v = free[route.vehicle_type()].pop(0)
        orders[v] = tuple(a.idx for a in route if a.is_client())
    return Candidate(f"pyvrp:{seed}", tuple(orders), (None,) * n_vehicles, search_s, limit)
