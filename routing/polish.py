"""A last pass over the winning plan: reorder each route's own visits while that lowers its cost
with idle time counted.

Neither solver charges idle time (OR-Tools' slack cost makes its search far slower; PyVRP has
none), so the cheapest driving order could start the day at noon at the one shop that opens
then and visit the morning shops after it (issue 14: a shift starting 08:30, a plan starting
12:00). Moving a visit inside its own route keeps every rep's set of visits, so pins, allowed
reps, capacities and visit counts still hold; a move is kept only if the route stays valid and
pinned visits stay in their order.
"""

from __future__ import annotations

import time

from routing.prepare import Prepared, idle_cost
from routing.schedule import Timed, time_route


def polish(
    prep: Prepared, orders: list[list[int]], breaks: list[int | None], *, deadline: float
) -> tuple[list[list[int]], list[int | None]]:
    """Better orders (and break hints: None where a route changed), found before ``deadline``."""
    if not idle_cost(prep.problem):
        return orders, breaks
    orders, breaks = [list(o) for o in orders], list(breaks)
    for v, order in enumerate(orders):
        best = time_route(prep, v, order, breaks[v])
        if best.violations or len(order) < 2:
            continue
        while time.monotonic() < deadline:
            better = _best_move(prep, v, orders[v], best, deadline)
            if better is None:
                break
            orders[v], best, breaks[v] = better[0], better[1], None
    return orders, breaks


def _best_move(
    prep: Prepared, v: int, order: list[int], best: Timed, deadline: float
) -> tuple[list[int], Timed] | None:
    """The first relocation of one visit that makes the route cheaper and keeps it valid."""
    for i in range(len(order)):
        if time.monotonic() >= deadline:  # a long route's scan must not overrun the limit
            return None
        rest = order[:i] + order[i + 1 :]
        for j in range(len(order)):
            if j == i:
                continue
            moved = [*rest[:j], order[i], *rest[j:]]
            if not _pins_in_order(prep, moved):
                continue
            timed = time_route(prep, v, moved)
            if not timed.violations and timed.cost < best.cost:
                return moved, timed
    return None


def _pins_in_order(prep: Prepared, order: list[int]) -> bool:
    pinned = [prep.problem.stops[s].pinned_order for s in order]
    ranks = [p for p in pinned if p is not None]
    return ranks == sorted(ranks)
