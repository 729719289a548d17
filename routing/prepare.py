"""From a Problem to solver-ready arrays, and the visits no rep could ever make.

Everything both portfolio members need is computed here once: the unique points, one travel
matrix (cached by provider), per-vehicle cost and time matrices, and a per-visit check against
every rep. Visits that fail the check are dropped with a reason before any solver sees them, so a
solver never meets an impossible visit and a plan still comes back for the rest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from routing.matrix import DEFAULT_PROVIDER, travel_matrix
from routing.model import (
    DAY_S,
    UNREACHABLE,
    Dropped,
    DropReason,
    Location,
    Objective,
    Problem,
    TimeWindow,
    TravelMatrix,
)

# Dropping a visit must always cost more than any detour, so the solvers plan as many visits as
# fit and only then look at distance; priorities order the drops among optional visits.
OPTIONAL_PENALTY = 10**6
# With the DURATION objective a second of the rep standing idle (waiting for a shop to open,
# or setting off late to avoid that) costs what a second of driving does, in our own judgement
# of a plan (schedule.py) and in the reordering pass after the search (polish.py).
IDLE_COST_PER_S = 1
MAX_PRIORITY = 99
REQUIRED_PENALTY = 10**9


@dataclass(frozen=True, eq=False)
class Prepared:
    problem: Problem
    points: tuple[Location, ...]
    travel: TravelMatrix
    matrix_s: float
    stop_point: tuple[int, ...]  # per stop: index into points, -1 if it has no location
    start_point: tuple[int, ...]  # per vehicle
    end_point: tuple[int, ...]
    earliest_s: tuple[int, ...]  # per vehicle: first second it may leave
    latest_s: tuple[int, ...]  # per vehicle: last second it may arrive at its end
    time_by_vehicle: tuple[np.ndarray, ...]  # travel seconds with the rep's speed factor
    cost_by_vehicle: tuple[np.ndarray, ...]  # what the objective charges per arc
    plannable: tuple[int, ...]  # stop indices the solvers see
    allowed: tuple[tuple[int, ...], ...]  # per plannable stop: vehicles that could do it alone
    penalty: tuple[int, ...]  # per stop: cost of dropping it
    dropped: tuple[Dropped, ...]  # decided here, before solving
    horizon_s: int


def stop_penalty(required: bool, priority: int) -> int:
    if required:
        return REQUIRED_PENALTY
    return OPTIONAL_PENALTY * (1 + min(max(priority, 0), MAX_PRIORITY))


def effective_windows(windows: tuple[TimeWindow, ...], horizon_s: int) -> list[tuple[int, int]]:
    """Sorted, merged windows inside ``[.., horizon]``; no windows means the whole day."""
    if not windows:
        return [(0, horizon_s)]
    merged: list[tuple[int, int]] = []
    # Opening hours from a CRM overlap and repeat (a shop's "9-17" and its "12-13" lunch desk):
    # merge them, or the gaps between them would wrongly forbid times another window allows.
    for lo, hi in sorted((w.start_s, min(w.end_s, horizon_s)) for w in windows):
        if lo > horizon_s:
            continue
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def prepare(problem: Problem) -> Prepared:
    # Ids name the results (visits, drops, routes): two stops with one id would be a caller's
    # bug that no plan could report honestly, so it is refused outright.
    for kind, ids in (
        ("stop", [s.id for s in problem.stops]),
        ("vehicle", [v.id for v in problem.vehicles]),
    ):
        if len(set(ids)) != len(ids):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"duplicate {kind} ids: {duplicates[:5]}")
    provider = problem.provider or DEFAULT_PROVIDER
    points: list[Location] = []
    index: dict[Location, int] = {}

    def point(loc: Location) -> int:
        if loc not in index:
            index[loc] = len(points)
            points.append(loc)
        return index[loc]

    start_point, end_point, earliest, latest = [], [], [], []
    for v in problem.vehicles:
        here = v.current_location or v.start
        start_point.append(point(here))
        end_point.append(point(v.end or v.start))
        first = max(v.shift.start_s, v.current_time_s or 0, problem.now_s or 0)
        if v.break_ is not None:
            w, rest = v.break_.window, v.break_.duration_s
            if w.end_s - rest < first < w.end_s:
                first = w.end_s  # too late in the window to rest: Break's rule says wait
        earliest.append(first)
        latest.append(v.shift.end_s)
    stop_point = [
        point(s.location) if s.location is not None and _has_location(s.location) else -1
        for s in problem.stops
    ]

    t0 = time.monotonic()
    travel = travel_matrix(provider, points)
    matrix_s = time.monotonic() - t0

    horizon = max([DAY_S, *latest, *(w.end_s for s in problem.stops for w in s.windows)])
    horizon = min(horizon, 3 * DAY_S)
    latest = [min(end, horizon) for end in latest]
    by_factor: dict[float, np.ndarray] = {}
    times = []
    for v in problem.vehicles:
        if v.speed_factor not in by_factor:
            scaled = np.rint(travel.duration_s * v.speed_factor).astype(np.int64)
            scaled[travel.duration_s >= UNREACHABLE] = UNREACHABLE
            by_factor[v.speed_factor] = scaled
        times.append(by_factor[v.speed_factor])
    if problem.objective is Objective.DISTANCE:
        costs = [travel.distance_m] * len(problem.vehicles)
    else:
        costs = times

    vehicle_ids = {v.id: i for i, v in enumerate(problem.vehicles)}
    plannable, allowed, dropped = [], [], []
    for s_idx, stop in enumerate(problem.stops):
        reason, detail, ok = _check_stop(
            stop_idx=s_idx,
            problem=problem,
            vehicle_ids=vehicle_ids,
            stop_point=stop_point,
            start_point=start_point,
            end_point=end_point,
            earliest=earliest,
            latest=latest,
            times=times,
            horizon=horizon,
        )
        if reason is None:
            plannable.append(s_idx)
            allowed.append(tuple(ok))
        else:
            dropped.append(Dropped(stop.id, reason, detail))

    return Prepared(
        problem=problem,
        points=tuple(points),
        travel=travel,
        matrix_s=matrix_s,
        stop_point=tuple(stop_point),
        start_point=tuple(start_point),
        end_point=tuple(end_point),
        earliest_s=tuple(earliest),
        latest_s=tuple(latest),
        time_by_vehicle=tuple(times),
        cost_by_vehicle=tuple(costs),
        plannable=tuple(plannable),
        allowed=tuple(allowed),
        penalty=tuple(stop_penalty(s.required, s.priority) for s in problem.stops),
        dropped=tuple(dropped),
        horizon_s=horizon,
    )


def _has_location(loc: Location | None) -> bool:
    if loc is None:
        return False
    lat, lon = loc.lat, loc.lon
    return all(isinstance(x, int | float) and np.isfinite(x) for x in (lat, lon))


def _check_stop(
    *,
    stop_idx: int,
    problem: Problem,
    vehicle_ids: dict[str, int],
    stop_point: list[int],
    start_point: list[int],
    end_point: list[int],
    earliest: list[int],
    latest: list[int],
    times: list[np.ndarray],
    horizon: int,
) -> tuple[DropReason | None, str, list[int]]:
    """Which reps could make this visit on an otherwise empty day, or why none can."""
    stop = problem.stops[stop_idx]
    p = stop_point[stop_idx]
    if p < 0:
        return DropReason.MISSING_LOCATION, "the visit has no usable coordinates", []
    allowed = stop.allowed_vehicle_ids
    if stop.pinned_vehicle_id is not None:
        if stop.pinned_vehicle_id not in vehicle_ids:
            return DropReason.PIN_INVALID, f"pinned to unknown rep {stop.pinned_vehicle_id}", []
        if allowed is not None and stop.pinned_vehicle_id not in allowed:
            return DropReason.NOT_ALLOWED, f"pinned to {stop.pinned_vehicle_id}, not allowed", []
        candidates = [vehicle_ids[stop.pinned_vehicle_id]]
    elif allowed is not None:
        candidates = [i for i, v in enumerate(problem.vehicles) if v.id in allowed]
        if problem.vehicles and not candidates:
            return DropReason.NOT_ALLOWED, "none of the reps allowed to make it is here", []
    else:
        candidates = list(range(len(problem.vehicles)))
    if not candidates:
        return DropReason.UNREACHABLE, "there are no reps", []
    windows = effective_windows(stop.windows, horizon)
    reachable, in_time, fits = [], [], []
    for v in candidates:
        there = int(times[v][start_point[v], p])
        back = int(times[v][p, end_point[v]])
        if there >= UNREACHABLE or back >= UNREACHABLE:
            continue
        reachable.append(v)
        arrive = earliest[v] + there
        if any(
            max(arrive, lo) <= hi and max(arrive, lo) + stop.service_s + back <= latest[v]
            for lo, hi in windows
        ):
            in_time.append(v)
            vehicle = problem.vehicles[v]
            if vehicle.max_visits == 0:
                continue
            if vehicle.capacity is not None and stop.demand > vehicle.capacity:
                continue
            fits.append(v)
    if not reachable:
        return DropReason.UNREACHABLE, "no rep can drive there and back", []
    if not in_time:
        if stop.windows:
            return DropReason.OUTSIDE_WINDOWS, "no rep's shift can meet any of its windows", []
        return DropReason.NO_TIME, "no rep's shift is long enough for it", []
    if not fits:
        return DropReason.CAPACITY, "no rep has the capacity or visit allowance", []
    return None, "", fits


@dataclass(frozen=True, eq=False)
class SolverInput:
    """What a portfolio member needs, as plain picklable arrays (sent to a worker process).

    Stops are numbered 0..K-1 in ``Prepared.plannable`` order; matrices are over points, and
    vehicles with the same speed factor share one matrix object so pickling sends it once.
    """

    stop_point: tuple[int, ...]
    service_s: tuple[int, ...]
    windows: tuple[tuple[tuple[int, int], ...], ...]
    demand: tuple[int, ...]
    penalty: tuple[int, ...]
    required: tuple[bool, ...]
    allowed: tuple[tuple[int, ...], ...]
    pinned_chains: tuple[tuple[int, ...], ...]  # stops whose order is fixed, per vehicle
    start_point: tuple[int, ...]
    end_point: tuple[int, ...]
    earliest_s: tuple[int, ...]
    latest_s: tuple[int, ...]
    capacity: tuple[int | None, ...]
    max_visits: tuple[int | None, ...]
    breaks: tuple[tuple[int, int, int] | None, ...]  # earliest start, latest start, duration
    time_by_vehicle: tuple[np.ndarray, ...]
    cost_by_vehicle: tuple[np.ndarray, ...]
    horizon_s: int
    mid_day: bool  # re-planning from a current time or position


def idle_cost(problem: Problem) -> int:
    """What a second of idle time costs: a rep's time is what DURATION minimises."""
    return IDLE_COST_PER_S if problem.objective is Objective.DURATION else 0


def solver_input(prep: Prepared) -> SolverInput:
    problem = prep.problem
    stops = [problem.stops[s] for s in prep.plannable]
    vehicle_ids = {v.id: i for i, v in enumerate(problem.vehicles)}
    chains: dict[int, list[tuple[int, int]]] = {}
    for k, stop in enumerate(stops):
        if stop.pinned_vehicle_id is not None and stop.pinned_order is not None:
            chains.setdefault(vehicle_ids[stop.pinned_vehicle_id], []).append(
                (stop.pinned_order, k)
            )
    breaks = tuple(
        None
        if v.break_ is None
        else (
            v.break_.window.start_s,
            v.break_.window.end_s - v.break_.duration_s,
            v.break_.duration_s,
        )
        for v in problem.vehicles
    )
    return SolverInput(
        stop_point=tuple(prep.stop_point[s] for s in prep.plannable),
        service_s=tuple(s.service_s for s in stops),
        windows=tuple(tuple(effective_windows(s.windows, prep.horizon_s)) for s in stops),
        demand=tuple(s.demand for s in stops),
        penalty=tuple(prep.penalty[s] for s in prep.plannable),
        required=tuple(s.required for s in stops),
        allowed=prep.allowed,
        pinned_chains=tuple(tuple(k for _, k in sorted(c)) for c in chains.values() if len(c) > 1),
        start_point=prep.start_point,
        end_point=prep.end_point,
        earliest_s=prep.earliest_s,
        latest_s=prep.latest_s,
        capacity=tuple(v.capacity for v in problem.vehicles),
        max_visits=tuple(v.max_visits for v in problem.vehicles),
        breaks=breaks,
        time_by_vehicle=prep.time_by_vehicle,
        cost_by_vehicle=prep.cost_by_vehicle,
        horizon_s=prep.horizon_s,
        mid_day=problem.now_s is not None
        or any(
            v.current_location is not None or v.current_time_s is not None for v in problem.vehicles
        ),
    )
