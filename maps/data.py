"""Plain data the map builders take: the Django side fills these from its selectors.

Frozen dataclasses with no behaviour beyond light validation, so that `maps/` never needs to
know about models, querysets or settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["lead", "prospect", "customer"]
STATUSES: tuple[Status, ...] = ("lead", "prospect", "customer")

LatLng = tuple[float, float]


@dataclass(frozen=True, slots=True)
class AccountPoint:
    """One account on the map. `days_since_visit` is None when it was never visited;
    `frequency_days` is the desired visit interval (None: no target)."""

    id: str
    name: str
    lat: float
    lng: float
    status: Status
    territory: str | None = None
    rep: str | None = None
    days_since_visit: int | None = None
    frequency_days: int | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        # Fail at the boundary rather than drawing a marker off the map or in the wrong layer.
        if self.status not in STATUSES:
            raise ValueError(f"unknown account status {self.status!r}")
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lng <= 180.0):
            raise ValueError(f"account {self.id}: location out of range ({self.lat}, {self.lng})")


@dataclass(frozen=True, slots=True)
class TerritoryShape:
    """A territory polygon. `geojson` is a GeoJSON geometry (Polygon or MultiPolygon) in
    EPSG:4326; `account_counts` maps a status (or any label) to a count for the tooltip."""

    id: str
    name: str
    rep: str | None
    region: str | None
    geojson: Mapping[str, Any]
    account_counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RegionShape:
    """A region outline drawn under the territories (no fill, so territories stay readable)."""

    id: str
    name: str
    geojson: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class TerritoryMapData:
    """Everything the territory map shows."""

    accounts: Sequence[AccountPoint] = ()
    territories: Sequence[TerritoryShape] = ()
    regions: Sequence[RegionShape] = ()


@dataclass(frozen=True, slots=True)
class RouteStop:
    """One planned stop; `seq` starts at 1 and `eta` is already formatted for display."""

    seq: int
    name: str
    lat: float
    lng: float
    eta: str = ""
    url: str | None = None


@dataclass(frozen=True, slots=True)
class RouteLine:
    """One rep's route for a day. `path` is the road geometry as (lat, lng) pairs; when empty
    the stops are joined by straight lines. `color` overrides the per-rep palette."""

    rep: str
    stops: Sequence[RouteStop]
    path: Sequence[LatLng] = ()
    color: str | None = None


@dataclass(frozen=True, slots=True)
class UnassignedVisit:
    """A visit the planner could not fit into any route, with the reason if known."""

    name: str
    lat: float
    lng: float
    reason: str = ""
    id: str | None = None
    url: str | None = None
