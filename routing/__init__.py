"""Pure-Python route planner: frozen dataclasses in, frozen dataclasses out.

Never imports Django or the CRM; ``fieldcrm/plans/planning.py`` translates to and from it.
"""

from routing.matrix import GreatCircleProvider, OsrmProvider, PlanarProvider, Provider
from routing.model import (
    Break,
    Dropped,
    DropReason,
    Location,
    Objective,
    Problem,
    Route,
    Solution,
    SolveStats,
    Stop,
    TimeWindow,
    Vehicle,
    Visit,
)
from routing.solver import solve

__all__ = [
    "Break",
    "DropReason",
    "Dropped",
    "GreatCircleProvider",
    "Location",
    "Objective",
    "OsrmProvider",
    "PlanarProvider",
    "Problem",
    "Provider",
    "Route",
    "Solution",
    "SolveStats",
    "Stop",
    "TimeWindow",
    "Vehicle",
    "Visit",
    "solve",
]
