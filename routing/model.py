"""The planner's vocabulary: frozen dataclasses in, frozen dataclasses out.

Units are fixed so that nothing needs converting inside the solver: times are integer seconds
from midnight of the planning day, distances integer metres, ids strings. Coordinates are WGS84
degrees (the benchmarks put planar x/y in ``lon``/``lat`` and use ``PlanarProvider``).

The travel-time ``Provider`` protocol and its ``TravelMatrix`` are part of this vocabulary (a
``Problem`` names its provider), so they live here and the providers in ``matrix.py`` and
``roads.py`` import them: no module of the package imports one that imports it back.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

DAY_S = 24 * 3600
# Far beyond any horizon (31 years), yet sums over a few thousand arcs stay inside int64.
UNREACHABLE = 10**9


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class TimeWindow:
    """Service may *start* at any second in ``[start_s, end_s]``."""

    start_s: int
    end_s: int

    def __post_init__(self) -> None:
        if self.end_s < self.start_s:
            raise ValueError(f"time window ends before it starts: {self}")


@dataclass(frozen=True)
class Break:
    """A rest of ``duration_s`` that must lie wholly inside ``window``.

    The one break rule (schedule.py decides it, every solver is held to it): a rep's working
    day runs from leaving the start (``Route.start_s``) to arriving at the end
    (``Route.end_s``). If that day *overlaps* the window — it starts before the window closes
    and ends after it opens — the break is taken within the day and wholly inside the window
    (at a stop before or after its service, while waiting for it to open, or before the drive
    home). A day that ends by the time the window opens, or starts once it has closed, needs
    none: a rep who has finished before lunch needs no lunch, and one who comes home during the
    window rests before coming home, not after. A rep who may not leave until too late in the
    window to fit the rest starts when the window closes.
    """

    window: TimeWindow
    duration_s: int


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Integer seconds and metres from each point (row) to each point (column), int64 [n, n].

    A pair with no path holds ``UNREACHABLE``; the solver turns those into dropped visits.
    """

    duration_s: npt.NDArray[np.int64]
    distance_m: npt.NDArray[np.int64]


class Provider(Protocol):
    """Travel times between points, and the path through them for drawing a route."""

    def matrix(self, points: Sequence[Location]) -> TravelMatrix: ...

    def geometry(self, points: Sequence[Location]) -> list[tuple[float, float]]: ...


class Objective(enum.Enum):
    DURATION = "duration"  # minimise driving time (the app's default)
    DISTANCE = "distance"  # minimise driven metres (the DIMACS benchmark convention)


@dataclass(frozen=True)
class Vehicle:
    """A rep for one day.

    ``current_location``/``current_time_s`` re-plan a day already begun: the rep is there, free,
    at that time. ``speed_factor`` scales every travel time (1.25 = 25 % slower than the provider).
    """

    id: str
    start: Location
    shift: TimeWindow
    end: Location | None = None  # None: return to start
    break_: Break | None = None
    max_visits: int | None = None
    capacity: int | None = None
    speed_factor: float = 1.0
    current_location: Location | None = None
    current_time_s: int | None = None


@dataclass(frozen=True)
class Stop:
    """A visit to plan.

    ``windows`` empty means any time in the rep's shift. ``priority`` (higher = more important)
    decides which optional visits are dropped first. ``pinned_vehicle_id`` locks the visit to a
    rep; ``pinned_order`` (with the pin) fixes its order among that rep's pinned visits.
    ``allowed_vehicle_ids`` (None: any rep) are the only reps who may make the visit, such as
    the reps who may open the account; a pin must name one of them.
    """

    id: str
    location: Location | None
    service_s: int = 0
    windows: tuple[TimeWindow, ...] = ()
    priority: int = 0
    required: bool = False
    demand: int = 0
    pinned_vehicle_id: str | None = None
    pinned_order: int | None = None
    allowed_vehicle_ids: frozenset[str] | None = None


@dataclass(frozen=True)
class Problem:
    """One planning run. ``now_s`` re-plans from that time on: nothing may start earlier."""

    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    provider: Provider | None = None  # None: great-circle with the default detour and speed
    objective: Objective = Objective.DURATION
    now_s: int | None = None


class DropReason(enum.Enum):
    MISSING_LOCATION = "missing_location"
    UNREACHABLE = "unreachable"  # no rep can drive there and back (road islands, off the map)
    OUTSIDE_WINDOWS = "outside_windows"  # no window any rep could make within its shift
    NO_TIME = "no_time"  # plannable alone, but it did not fit with the rest
    CAPACITY = "capacity"  # more demand (or visits) than any rep can take
    PIN_INVALID = "pin_invalid"  # pinned to a rep that is not in the problem
    NOT_ALLOWED = "not_allowed"  # no rep allowed to make it is here (or pinned to another)


@dataclass(frozen=True)
class Dropped:
    stop_id: str
    reason: DropReason
    detail: str = ""


@dataclass(frozen=True)
class Visit:
    """One stop on a route with its timing (seconds from midnight) and the leg that led to it."""

    stop_id: str
    arrival_s: int
    wait_s: int
    start_s: int
    departure_s: int
    leg_distance_m: int
    leg_duration_s: int


@dataclass(frozen=True)
class Route:
    vehicle_id: str
    visits: tuple[Visit, ...]
    start_s: int  # departure from the start location
    end_s: int  # arrival at the end location
    distance_m: int
    drive_s: int
    service_s: int
    wait_s: int
    work_s: int  # end_s - start_s: what the shift holds
    break_start_s: int | None = None
    break_duration_s: int = 0
    geometry: tuple[tuple[float, float], ...] = ()  # (lat, lon) along the driven path


@dataclass(frozen=True)
class SolveStats:
    solver: str  # the portfolio member whose plan won: "pyvrp:<seed>", "ortools:<config>"
    time_limit_s: float
    wall_s: float  # whole solve(): matrix + model build + search + extraction
    matrix_s: float
    cost: int  # our own evaluation: arc costs + penalties of dropped visits
    candidates: dict[str, int | None] = field(default_factory=dict)  # member -> cost or None

    @property
    def overrun_s(self) -> float:
        """How far past the limit solve() returned (0 when on time): measured, not assumed."""
        return max(0.0, self.wall_s - self.time_limit_s)


@dataclass(frozen=True)
class Solution:
    routes: tuple[Route, ...]  # one per vehicle, in problem order; unused reps have no visits
    dropped: tuple[Dropped, ...]
    stats: SolveStats

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)

    @property
    def drive_s(self) -> int:
        return sum(r.drive_s for r in self.routes)
