"""Pure-Python route planner: frozen dataclasses in, frozen dataclasses out.

Never imports Django or the CRM; ``fieldcrm/plans/planning.py`` translates to and from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from routing.matrix import GreatCircleProvider, OsrmError, OsrmProvider, PlanarProvider
from routing.model import (
    UNREACHABLE,
    Break,
    Dropped,
    DropReason,
    Location,
    Objective,
    Problem,
    Provider,
    Route,
    Solution,
    SolveStats,
    Stop,
    TimeWindow,
    TravelMatrix,
    Vehicle,
    Visit,
)
from routing.solver import solve

if TYPE_CHECKING:
    from routing.roads import road_provider

__all__ = [
    "UNREACHABLE",
    "Break",
    "DropReason",
    "Dropped",
    "GreatCircleProvider",
    "Location",
    "Objective",
    "OsrmError",
    "OsrmProvider",
    "PlanarProvider",
    "Problem",
    "Provider",
    "Route",
    "Solution",
    "SolveStats",
    "Stop",
    "TimeWindow",
    "TravelMatrix",
    "Vehicle",
    "Visit",
    "road_provider",
    "solve",
]


def __getattr__(name: str) -> object:
    # road_provider is loaded on first use: routing.roads imports scipy (~0.3 s), which every
    # `import routing` would otherwise pay for, the solver's worker process included.
    if name == "road_provider":
        from routing.roads import road_provider as provider

        globals()[name] = provider
        return provider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
