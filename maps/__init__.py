"""Pure folium map builders for FieldCRM: plain dataclasses in, a folium.Map or HTML out.

Imports folium, branca and shapely only; never Django, fieldcrm or routing (STYLE.md 2.5).
"""

from maps.builders import FAST_CLUSTER_THRESHOLD, route_map, territory_map, to_standalone_html
from maps.data import (
    AccountPoint,
    RegionShape,
    RouteLine,
    RouteStop,
    TerritoryMapData,
    TerritoryShape,
    UnassignedVisit,
)
from maps.layers import coverage_class, rep_colors

__all__ = [
    "FAST_CLUSTER_THRESHOLD",
    "AccountPoint",
    "RegionShape",
    "RouteLine",
    "RouteStop",
    "TerritoryMapData",
    "TerritoryShape",
    "UnassignedVisit",
    "coverage_class",
    "rep_colors",
    "route_map",
    "territory_map",
    "to_standalone_html",
]
