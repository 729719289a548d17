"""Geometry rules shared by every app: SRID 4326 storage, metres on the sphere.

Backend-specific SQL (PostGIS vs SpatiaLite) belongs here too, with both branches.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

SRID = 4326
EARTH_RADIUS_M = 6_371_008.8


def validate_point(point: Point | None) -> None:
    """Refuse coordinates that are not finite or fall outside WGS 84's range."""
    if point is None:
        return
    lng, lat = point.x, point.y
    if not (math.isfinite(lng) and math.isfinite(lat)):
        raise ValidationError(_("Coordinates must be finite numbers."), code="not_finite")
    if not -90 <= lat <= 90:
        raise ValidationError(
            _("Latitude %(lat)s is outside -90..90.") % {"lat": lat}, code="lat_range"
        )
    if not -180 <= lng <= 180:
        raise ValidationError(
            _("Longitude %(lng)s is outside -180..180.") % {"lng": lng}, code="lng_range"
        )


def validate_boundary(boundary: GEOSGeometry | None) -> None:
    """Refuse polygons GEOS calls invalid (self-intersections, bad rings) or out of range."""
    if boundary is None:
        return
    if boundary.empty:
        raise ValidationError(_("The boundary is empty."), code="empty")
    for x, y in _coords(boundary):
        if not (math.isfinite(x) and math.isfinite(y)) or not (-180 <= x <= 180 and -90 <= y <= 90):
            raise ValidationError(_("Boundary coordinates are out of range."), code="range")
    if not boundary.valid:
        raise ValidationError(
            _("The boundary is not a valid polygon: %(reason)s")
            % {"reason": boundary.valid_reason},
            code="invalid_polygon",
        )


def _coords(geom: GEOSGeometry) -> Iterator[tuple[float, float]]:
    if isinstance(geom, Point):
        yield geom.x, geom.y
        return
    if isinstance(geom, Polygon):
        for ring in geom:
            yield from ((c[0], c[1]) for c in ring.coords)
        return
    for part in geom:
        yield from _coords(part)


def as_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    """Territories store MultiPolygons; accept a Polygon too."""
    if isinstance(geom, Polygon):
        geom = MultiPolygon(geom, srid=geom.srid or SRID)
    if not isinstance(geom, MultiPolygon):
        raise ValidationError(_("Expected a Polygon or MultiPolygon."), code="geom_type")
    if geom.srid is None:
        geom.srid = SRID
    return geom


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres (never degrees)."""
    lat1, lat2 = math.radians(a.y), math.radians(b.y)
    dlat = lat2 - lat1
    dlng = math.radians(b.x - a.x)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def backend_name() -> str:
    """'postgis' or 'spatialite'."""
    return "postgis" if connection.vendor == "postgresql" else "spatialite"


def backend_version() -> str:
    """The spatial database's own version string, for /healthz."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('server_version'), postgis_lib_version()")
            pg, postgis = cursor.fetchone()
            return f"PostgreSQL {pg}, PostGIS {postgis}"
        cursor.execute("SELECT sqlite_version(), spatialite_version()")
        sqlite, spatialite = cursor.fetchone()
        return f"SQLite {sqlite}, SpatiaLite {spatialite}"
