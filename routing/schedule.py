"""Timing and cost of a given visit order: one forward pass, shared by every solver.

Both portfolio members hand back only *orders* (and OR-Tools a break time as a hint); the
times in the Solution and the cost used to pick the winner come from here, so the plans are
compared on the same terms and the output never depends on which solver won.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from routing.model import Route, Visit
from routing.prepare import Prepared, effective_windows, idle_cost


@dataclass
class Timed:
    route: Route
    cost: int
    violations: list[str] = field(default_factory=list)


def time_route(prep: Prepared, v: int, order: list[int], break_hint_s: int | None = None) -> Timed:
    """Schedule ``order`` (stop indices) for vehicle ``v`` as early as the windows allow."""
    problem = prep.problem
    vehicle = problem.vehicles[v]
    times, costs, dist = prep.time_by_vehicle[v], prep.cost_by_vehicle[v], prep.travel.distance_m
    violations: list[str] = []
    brk = vehicle.break_
    break_at: int | None = None
    latest_break = brk.window.end_s - brk.duration_s if brk else 0
    # Break's rule (model.py): a day that starts before the window closes and ends after it
    # opens takes the break. Whether it ends after the opening is known at the end of the pass;
    # until then the break is pending and taken as late as the visits allow.
    pending = brk is not None and bool(order) and prep.earliest_s[v] < brk.window.end_s

    def take_break(now: int) -> int:
        nonlocal break_at, pending
        assert brk is not None
        break_at = max(now, brk.window.start_s)
        if break_at > latest_break:
            violations.append(f"{vehicle.id}: break cannot start by {latest_break}")
        pending = False
        return break_at + brk.duration_s

    now = prep.earliest_s[v]
    here = prep.start_point[v]
    visits: list[Visit] = []
    cost = drive = metres = service = wait = 0
    load = 0
    for s in order:
        stop = problem.stops[s]
        p = prep.stop_point[s]
        leg = int(times[here, p])
        arrive = now + leg
        windows = effective_windows(stop.windows, prep.horizon_s)
        start = _service_start(arrive, windows)
        rested = 0  # the part of the wait at this stop that is the break, not idle time
        if pending and brk is not None:
            hinted = break_hint_s is not None and break_hint_s < (start if start >= 0 else arrive)
            too_late = (start if start >= 0 else arrive) + stop.service_s > latest_break
            fits_in_wait = start >= 0 and max(arrive, brk.window.start_s) + brk.duration_s <= start
            on_arrival = max(arrive, brk.window.start_s)
            if fits_in_wait and on_arrival <= latest_break:
                break_at = on_arrival  # rest while waiting: costs nothing
                pending = False
                rested = brk.duration_s
            elif (hinted or too_late) and on_arrival <= latest_break:
                # Drive, then rest on arrival: never later than resting before the drive.
                break_at = on_arrival
                pending = False
                rested = brk.duration_s
                start = _service_start(on_arrival + brk.duration_s, windows)
            elif hinted or too_late:
                now = take_break(now)  # too late on arrival: rest before the drive
                arrive = now + leg
                start = _service_start(arrive, windows)
        if start < 0:
            violations.append(f"{vehicle.id}: {stop.id} reached at {arrive}, after its windows")
            start = arrive
        visits.append(
            Visit(
                stop_id=stop.id,
                arrival_s=arrive,
                wait_s=start - arrive,
                start_s=start,
                departure_s=start + stop.service_s,
                leg_distance_m=int(dist[here, p]),
                leg_duration_s=leg,
            )
        )
        cost += int(costs[here, p])
        drive += leg
        metres += int(dist[here, p])
        service += stop.service_s
        wait += start - arrive - rested
        load += stop.demand
        now = start + stop.service_s
        here = p
    end_p = prep.end_point[v]
    leg = int(times[here, end_p]) if order else 0
    if pending and brk is not None and now + leg > brk.window.start_s:
        # Home after the window opens: the day overlaps it, so rest before the drive home.
        now = take_break(now)
    end = now + leg
    if order:
        cost += int(costs[here, end_p])
        drive += leg
        metres += int(dist[here, end_p])
    if end > prep.latest_s[v]:
        violations.append(f"{vehicle.id}: back at {end}, after the shift ends {prep.latest_s[v]}")
    if vehicle.capacity is not None and load > vehicle.capacity:
        violations.append(f"{vehicle.id}: load {load} over capacity {vehicle.capacity}")
    if vehicle.max_visits is not None and len(order) > vehicle.max_visits:
        violations.append(f"{vehicle.id}: {len(order)} visits over {vehicle.max_visits}")

    start_s = prep.earliest_s[v]
    first = visits[0] if visits else None
    if first is not None and first.wait_s > 0 and (break_at is None or break_at >= first.start_s):
        # Leave later rather than wait at the first visit; nothing after it moves.
        start_s += first.wait_s
        wait -= first.wait_s
        visits[0] = replace(first, arrival_s=first.start_s, wait_s=0)
    if not visits:
        end = start_s
    else:  # idle time, a late start included, is charged (issue 14; polish.py)
        cost += idle_cost(problem) * (start_s - prep.earliest_s[v] + wait)
    route = Route(
        vehicle_id=vehicle.id,
        visits=tuple(visits),
        start_s=start_s,
        end_s=end,
        distance_m=metres,
        drive_s=drive,
        service_s=service,
        wait_s=wait,
        work_s=end - start_s,
        break_start_s=break_at,
        break_duration_s=brk.duration_s if brk is not None and break_at is not None else 0,
    )
    return Timed(route, cost, violations)


def _service_start(arrive: int, windows: list[tuple[int, int]]) -> int:
    """Earliest start in the first window still open on arrival, or -1 if all have closed."""
    for lo, hi in windows:
        if arrive <= hi:
            return max(arrive, lo)
    return -1


@dataclass
class Evaluated:
    routes: list[Timed]
    dropped: list[int]  # plannable stop indices left out
    cost: int
    feasible: bool


def evaluate(prep: Prepared, orders: list[list[int]], breaks: list[int | None]) -> Evaluated:
    """Our own judgement of a plan: each plannable stop at most once, times, cost."""
    seen: set[int] = set()
    allowed = dict(zip(prep.plannable, prep.allowed, strict=True))
    timed = []
    feasible = True
    for v, order in enumerate(orders):
        for s in order:
            if s in seen or v not in allowed.get(s, ()):
                feasible = False
            seen.add(s)
        t = time_route(prep, v, order, breaks[v])
        feasible = feasible and not t.violations
        timed.append(t)
    dropped = [s for s in prep.plannable if s not in seen]
    cost = sum(t.cost for t in timed) + sum(prep.penalty[s] for s in dropped)
    return Evaluated(timed, dropped, cost, feasible)
