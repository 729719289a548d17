"""The OR-Tools member of the portfolio, and the only module importing ortools.

Construction follows the OR-Tools samples: manager → model → transit matrices
(``RegisterTransitMatrix``, never a Python callback per arc) → time dimension with windows and
breaks → counting dimensions → disjunctions with priority penalties → finalizers → parameters.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.candidate import Candidate
from routing.prepare import SolverInput

# The search stops this much before the deadline, so that building the answer (and, in a worker
# process, sending it back) still lands inside the caller's wall-clock limit.
STOP_EARLY_S = 0.15
STOP_EARLY_FRACTION = 0.03

# "ours" and "alt" differ in the first solution only, so two cores search from different
# starts; "ortools-default" is the samples' set-up, kept to show the difference in benchmarks.
CONFIGS = ("ours", "alt", "ortools-default")
# Guided local search never stops by itself. A day of a few visits is solved long before any
# sensible limit, so small problems get a budget that grows with their size instead.
SMALL_PROBLEM = 20


def small_problem_budget_s(k: int) -> float:
    return 0.1 + 0.05 * k


def solve_ortools(
    inp: SolverInput,
    *,
    deadline: float,
    config: str = "ours",
    initial: tuple[tuple[int, ...], ...] | None = None,
) -> Candidate:
    """Search until ``deadline`` (a ``time.monotonic()`` value) and return the best orders.

    ``initial`` (per vehicle, stop numbers; a valid plan, visits may be left out) starts the
    search from those routes instead of a first-solution heuristic: the candidate is then
    named ``ortools:warm``.
    """
    t0 = time.monotonic()
    k, n_vehicles = len(inp.stop_point), len(inp.start_point)
    node_point = np.array([*inp.stop_point, *inp.start_point, *inp.end_point], dtype=np.int64)
    starts = list(range(k, k + n_vehicles))
    ends = list(range(k + n_vehicles, k + 2 * n_vehicles))
    manager = pywrapcp.RoutingIndexManager(len(node_point), n_vehicles, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    # Matrices are per node (not per routing index): RegisterTransitMatrix maps them itself.
    service = np.zeros(len(node_point), dtype=np.int64)
    service[:k] = inp.service_s
    registered: dict[tuple[str, int], int] = {}

    def register(kind: str, matrix: np.ndarray) -> int:
        key = (kind, id(matrix))
        if key not in registered:
            sub = matrix[np.ix_(node_point, node_point)]
            if kind == "time":
                sub = sub + service[:, None]  # leaving a node costs its service first
            registered[key] = routing.RegisterTransitMatrix(sub.tolist())
        return registered[key]

    time_transits = [register("time", m) for m in inp.time_by_vehicle]
    for v, m in enumerate(inp.cost_by_vehicle):
        routing.SetArcCostEvaluatorOfVehicle(register("cost", m), v)

    horizon = inp.horizon_s
    routing.AddDimensionWithVehicleTransits(time_transits, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for s, windows in enumerate(inp.windows):
        cumul = time_dim.CumulVar(manager.NodeToIndex(s))
        cumul.SetRange(windows[0][0], windows[-1][1])
        for (_, hi), (lo, _) in zip(windows, windows[1:], strict=False):
            if lo > hi + 1:
                cumul.RemoveInterval(hi + 1, lo - 1)
    for v in range(n_vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(inp.earliest_s[v], inp.latest_s[v])
        time_dim.CumulVar(routing.End(v)).SetRange(inp.earliest_s[v], inp.latest_s[v])

    visit_transits = [0] * routing.Size()
    for s in range(k):
        visit_transits[manager.NodeToIndex(s)] = int(inp.service_s[s])
    for v, brk in enumerate(inp.breaks):
        if brk is not None:
            earliest, latest, duration = brk
            interval = solver.FixedDurationIntervalVar(earliest, latest, duration, False, f"b{v}")
            time_dim.SetBreakIntervalsOfVehicle([interval], v, visit_transits)
            # OR-Tools would also place the break before the start or after the end of the
            # route. Break's rule (model.py): a day overlapping the window rests within it.
            start, end = time_dim.CumulVar(routing.Start(v)), time_dim.CumulVar(routing.End(v))
            free = solver.IsLessOrEqualCstVar(end, earliest) + solver.IsGreaterOrEqualCstVar(
                start, latest + duration
            )
            solver.Add(interval.StartExpr() + horizon * free >= start)
            solver.Add(interval.EndExpr() <= end + horizon * free)

    if any(m is not None for m in inp.max_visits):
        ones = routing.RegisterUnaryTransitVector([1] * k + [0] * (2 * n_vehicles))
        caps = [k if m is None else m for m in inp.max_visits]
        routing.AddDimensionWithVehicleCapacity(ones, 0, caps, True, "visits")
    if any(c is not None for c in inp.capacity) and any(inp.demand):
        demand = routing.RegisterUnaryTransitVector([*inp.demand] + [0] * (2 * n_vehicles))
        total = sum(inp.demand)
        caps = [total if c is None else c for c in inp.capacity]
        routing.AddDimensionWithVehicleCapacity(demand, 0, caps, True, "load")

    for s in range(k):
        index = manager.NodeToIndex(s)
        if len(inp.allowed[s]) < n_vehicles:
            # -1 keeps "unperformed" possible. (SetAllowedVehiclesForIndex takes an absl::Span
            # that the 9.15 Python wrapper cannot build from a list.)
            routing.VehicleVar(index).SetValues([-1, *inp.allowed[s]])
        # The out-of-the-box configuration (the OR-Tools sample) has no way to drop a visit.
        if config != "ortools-default" or not inp.required[s]:
            routing.AddDisjunction([index], int(inp.penalty[s]))
    for chain in inp.pinned_chains:
        for a, b in zip(chain, chain[1:], strict=False):
            ia, ib = manager.NodeToIndex(a), manager.NodeToIndex(b)
            both_inactive = 2 - routing.ActiveVar(ia) - routing.ActiveVar(ib)
            solver.Add(
                time_dim.CumulVar(ia) + int(inp.service_s[a])
                <= time_dim.CumulVar(ib) + horizon * both_inactive
            )

    # Leave as late and come back as early as the plan allows: no idle hours on the clock.
    for v in range(n_vehicles):
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))

    params = pywrapcp.DefaultRoutingSearchParameters()
    strategy = routing_enums_pb2.FirstSolutionStrategy
    params.first_solution_strategy = {
        "ours": strategy.PARALLEL_CHEAPEST_INSERTION,
        "alt": strategy.LOCAL_CHEAPEST_INSERTION,
    }.get(config, strategy.PATH_CHEAPEST_ARC)
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    now = time.monotonic()
    limit = max(0.01, deadline - now - STOP_EARLY_S - STOP_EARLY_FRACTION * (deadline - t0))
    if config != "ortools-default" and k <= SMALL_PROBLEM:
        limit = min(limit, small_problem_budget_s(k))
    params.time_limit.FromMilliseconds(int(limit * 1000))

    search_t0 = time.monotonic()
    assignment = None
    if initial is not None:
        routing.CloseModelWithParameters(params)
        routes = [[manager.NodeToIndex(s) for s in order] for order in initial]
        start = routing.ReadAssignmentFromRoutes(routes, True)
        if start is not None:
            config = "warm"
            assignment = routing.SolveFromAssignmentWithParameters(start, params)
    if assignment is None:
        assignment = routing.SolveWithParameters(params)
    search_s = time.monotonic() - search_t0
    if assignment is None:
        return Candidate(f"ortools:{config}", None, (None,) * n_vehicles, search_s, limit)

    orders = []
    for v in range(n_vehicles):
        order = []
        index = assignment.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            order.append(manager.IndexToNode(index))
            index = assignment.Value(routing.NextVar(index))
        orders.append(tuple(order))
    breaks: list[int | None] = [None] * n_vehicles
    intervals = assignment.IntervalVarContainer()
    for i in range(intervals.Size()):
        element = intervals.Element(i)
        name = element.Var().Name()
        if name.startswith("b") and element.PerformedValue():
            breaks[int(name[1:])] = element.StartValue()
    return Candidate(f"ortools:{config}", tuple(orders), tuple(breaks), search_s, limit)
