"""Pure folium map builders for FieldCRM: plain dataclasses in, a folium.Map or HTML out.

Imports folium, branca and shapely only; never Django, fieldcrm or routing (STYLE.md 2.5).
"""

from maps.builders import FAST_CLUSTER_THRESHOLD, route_map, territory_map
from maps.data import (
    AccountPoint,
    RegionShape,
    RouteLine,
    RouteStop,
    TerritoryMapData,
    TerritoryShape,
    UnassignedVisit,
)
from maps.page import page_html
from maps.standalone import assets_in, to_standalone_html
from maps.style import coverage_class, coverage_labels, rep_colors, status_labels

__all__ = [
    "FAST_CLUSTER_THRESHOLD",
    "AccountPoint",
    "RegionShape",
    "RouteLine",
    "RouteStop",
    "TerritoryMapData",
    "TerritoryShape",
    "UnassignedVisit",
    "assets_in",
    "coverage_class",
    "coverage_labels",
    "page_html",
    "rep_colors",
    "route_map",
    "status_labels",
    "territory_map",
    "to_standalone_html",
]
