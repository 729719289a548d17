"""What a portfolio member returns: visit orders, not times (times come from schedule.py)."""

from __future__ import annotations

from dataclasses import dataclass

# A job for the worker process, (solver, option, deadline): ("ortools", config, t) or
# ("pyvrp", seed, t) or ("pyvrp-rests", seed, t) (the stand-in problem of
# pyvrp_solver.build_data with break clients), with t on the time.monotonic() clock.
Task = tuple[str, str | int, float]


@dataclass(frozen=True)
class Candidate:
    solver: str
    # Per vehicle, in SolverInput stop numbers; None when the solver found no plan at all.
    orders: tuple[tuple[int, ...], ...] | None
    breaks: tuple[int | None, ...]  # per vehicle: break start the solver chose, as a hint
    search_s: float  # wall time inside the solver call
    limit_s: float  # the limit it was given
