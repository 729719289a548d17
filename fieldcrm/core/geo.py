"""Geometry rules shared by every app: SRID 4326 storage, metres on the sphere.

Backend-specific SQL (PostGIS vs SpatiaLite) belongs here too, with both branches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, Expression, F, Field, FloatField, QuerySet, Subquery
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


# One cap for every polygon (territories, regions, map selections): checking and indexing a
# shape costs in proportion to its points (100,000 took 12.6 s), and no drawn area needs more.
MAX_POLYGON_POINTS = 10_000


def validate_boundary(boundary: GEOSGeometry | None) -> None:
    """Refuse polygons GEOS calls invalid (self-intersections, bad rings) or out of range."""
    if boundary is None:
        return
    if boundary.empty:
        raise ValidationError(_("The boundary is empty."), code="empty")
    if boundary.num_coords > MAX_POLYGON_POINTS:
        raise ValidationError(
            _("A boundary has at most %(n)s points; simplify it first.")
            % {"n": f"{MAX_POLYGON_POINTS:,}"},
            code="too_many_points",
        )
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
    for part in cast(Iterable[GEOSGeometry], geom):  # a collection: its parts
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


# ---------------------------------------------------------------------------------------------
# Spatial query helpers for the `near`, `bbox` and nearest filters (issue 3, Performance).
#
# Each takes a queryset that is already scoped and filtered elsewhere and returns it narrowed,
# so scoping, status filters and soft-delete hiding all land in the same WHERE clause. Each
# has a PostGIS and a SpatiaLite branch, because the obvious ORM lookups are not indexed:
# `distance_lte` on SRID 4326 compiles to a sphere-distance comparison the GiST index cannot
# serve, and SQLite consults SpatiaLite's R*Tree only when the query names it.
# ---------------------------------------------------------------------------------------------

# Metres per degree of latitude on the sphere GeoDjango, PostGIS and SpatiaLite all use here.
_M_PER_DEG = math.pi * EARTH_RADIUS_M / 180
# The farthest two points on the sphere can be apart; a radius beyond it means "everything".
_HALF_CIRCUMFERENCE_M = math.pi * EARTH_RADIUS_M
# nearest() on SpatiaLite: the first window, and how much it grows while too few rows are in it.
_NEAREST_FIRST_RADIUS_M = 500.0
_NEAREST_GROWTH = 4.0


class _LocationSQL(Expression):
    """Backend SQL around a queryset's own point column, with the values passed as parameters.

    ``sql`` may use ``{loc}`` (the column, qualified with the table alias Django chose) and
    ``{rowid}`` (the same alias's SQLite rowid, which is what SpatiaLite's R*Tree stores),
    and ``{tail}``, another expression (a subquery) compiled in place; it must come after
    every ``%s`` so the parameters stay in order. Resolving the column through ``F`` keeps the
    fragment correct when the queryset joins other tables or is relabelled as a subquery.
    """

    def __init__(
        self,
        sql: str,
        params: Sequence[float],
        *,
        field: str,
        output_field: Field,
        tail: Expression | None = None,
    ):
        super().__init__(output_field=output_field)
        self.sql = sql
        self.params = tuple(params)
        self.location: Any = F(field)
        self.tail: Any = tail

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.sql!r}, {self.params!r})"

    def get_source_expressions(self) -> list[Any]:
        return [self.location, self.tail]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.location, self.tail = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        column, column_params = compiler.compile(self.location)
        # A Col compiles to "alias"."column"; the rowid belongs to the same alias.
        rowid = column.rsplit(".", 1)[0] + ".rowid" if "." in column else "rowid"
        # The column can appear more than once; a plain Col has no parameters of its own.
        assert not column_params, "the location must be a plain column"
        tail, tail_params = compiler.compile(self.tail) if self.tail is not None else ("", [])
        sql = self.sql.format(loc=column, rowid=rowid, tail=tail)
        # Parenthesised so that exclude()'s NOT and any AND/OR around it bind to the whole.
        return f"({sql})", [*self.params, *tail_params]


def _check_point(lat: float, lng: float) -> tuple[float, float]:
    lat, lng = float(lat), float(lng)
    if not (math.isfinite(lat) and math.isfinite(lng)) or not (
        -90 <= lat <= 90 and -180 <= lng <= 180
    ):
        raise ValueError(f"Not a WGS 84 point: lat={lat}, lng={lng}.")
    return lat, lng


def _rtree_window(qs: QuerySet, field: str, west: float, south: float, east: float,
                  north: float) -> tuple[str, list[float]]:  # fmt: skip
    """SQL naming SpatiaLite's R*Tree for ``field``: rows whose box meets the window.

    The R*Tree stores boxes rounded outward to 32-bit floats, so this is a superset; callers
    add an exact test. Querying the ``idx_<table>_<column>`` table directly is cheaper than the
    ``SpatialIndex`` virtual table and is what makes SQLite use the index at all.
    """
    meta = qs.model._meta
    rtree = connection.ops.quote_name(f"idx_{meta.db_table}_{meta.get_field(field).column}")
    sql = (
        f"{{rowid}} IN (SELECT pkid FROM {rtree} "
        "WHERE xmax >= %s AND xmin <= %s AND ymax >= %s AND ymin <= %s)"
    )
    return sql, [west, east, south, north]


def _radius_window(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """The lng/lat box (west, south, east, north) holding every point within ``radius_m``.

    The half-width in longitude is the exact one for a spherical cap, asin(sin r / cos lat).
    When the cap reaches a pole or the antimeridian the box widens to every longitude:
    correct, only slower, which is all those places need.
    """
    angle = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angle)
    south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    cos_lat = math.cos(math.radians(lat))
    if south <= -90 or north >= 90 or math.sin(angle) >= cos_lat:
        return -180.0, south, 180.0, north
    dlng = math.degrees(math.asin(math.sin(angle) / cos_lat))
    if lng - dlng < -180 or lng + dlng > 180:
        return -180.0, south, 180.0, north
    return lng - dlng, south, lng + dlng, north


def within_radius(
    qs: QuerySet, *, lat: float, lng: float, radius_m: float, field: str = "location"
) -> QuerySet:
    """Rows of ``qs`` whose point lies within ``radius_m`` metres on the sphere, via the index.

    PostGIS: ``ST_DWithin`` on geography, served by the expression GiST index on
    ``(location::geography)`` (core migration 0001). SpatiaLite: the R*Tree window around the
    circle, then the exact great-circle test. Rows without a location never match.
    """
    lat, lng = _check_point(lat, lng)
    radius_m = float(radius_m)
    if not math.isfinite(radius_m) or radius_m < 0:
        raise ValueError(f"radius_m must be a finite number of metres >= 0, not {radius_m}.")
    if connection.vendor == "postgresql":
        # use_spheroid=false: the sphere, like distance_m() and order_by_distance().
        sql = (
            "ST_DWithin(({loc})::geography, "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, false)"
        )
        return qs.filter(_LocationSQL(sql, [lng, lat, radius_m], field=field,
                                      output_field=BooleanField()))  # fmt: skip
    window_sql, window_params = _rtree_window(qs, field, *_radius_window(lat, lng, radius_m))
    # PtDistWithin(..., 0) is SpatiaLite's great-circle test on the same sphere, in metres.
    sql = f"{window_sql} AND PtDistWithin({{loc}}, MakePoint(%s, %s, 4326), %s, 0) = 1"
    return qs.filter(_LocationSQL(sql, [*window_params, lng, lat, radius_m], field=field,
                                  output_field=BooleanField()))  # fmt: skip


def in_bbox(
    qs: QuerySet,
    *,
    west: float,
    south: float,
    east: float,
    north: float,
    field: str = "location",
) -> QuerySet:
    """Rows of ``qs`` whose point lies in the box, edges included, via the spatial index.

    ``west > east`` means a box across the antimeridian: it is split in two rather than read
    as an empty or inverted box. PostGIS: ``ST_Intersects`` with an envelope (the geometry
    GiST index, then an exact test). SpatiaLite: the R*Tree, then an exact coordinate test,
    because the R*Tree's 32-bit boxes are only approximately the points.
    """
    west, south, east, north = (float(v) for v in (west, south, east, north))
    if not all(math.isfinite(v) for v in (west, south, east, north)) or south > north:
        raise ValueError(f"Not a box: west={west}, south={south}, east={east}, north={north}.")
    if west > east:
        return in_bbox(qs, west=west, south=south, east=180.0, north=north, field=field) | in_bbox(
            qs, west=-180.0, south=south, east=east, north=north, field=field
        )
    if connection.vendor == "postgresql":
        sql = "ST_Intersects({loc}, ST_MakeEnvelope(%s, %s, %s, %s, 4326))"
        params = [west, south, east, north]
    else:
        window_sql, params = _rtree_window(qs, field, west, south, east, north)
        sql = (
            f"{window_sql} AND ST_X({{loc}}) BETWEEN %s AND %s AND ST_Y({{loc}}) BETWEEN %s AND %s"
        )
        params += [west, east, south, north]
    return qs.filter(_LocationSQL(sql, params, field=field, output_field=BooleanField()))


def _distance_expression(lat: float, lng: float, field: str) -> _LocationSQL:
    if connection.vendor == "postgresql":
        # The geography KNN operator is the sphere distance in metres, and ordering by it
        # lets the GiST index on (location::geography) return rows nearest first.
        sql = "({loc})::geography <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography"
    else:
        sql = "ST_Distance({loc}, MakePoint(%s, %s, 4326), 0)"
    return _LocationSQL(sql, [lng, lat], field=field, output_field=FloatField())


def order_by_distance(qs: QuerySet, *, lat: float, lng: float, field: str = "location") -> QuerySet:
    """``qs`` annotated with ``distance_m`` (metres on the sphere), nearest first, then by id.

    The id tie-break keeps limit/offset pages stable; rows without a location come last.
    On PostGIS the ordering uses the index (KNN); on SpatiaLite it sorts the rows of ``qs``,
    so narrow it first (``within_radius``) or use ``nearest``.
    """
    lat, lng = _check_point(lat, lng)
    return qs.annotate(distance_m=_distance_expression(lat, lng, field)).order_by(
        F("distance_m").asc(nulls_last=True), "pk"
    )


def nearest(
    qs: QuerySet, *, lat: float, lng: float, limit: int, field: str = "location"
) -> QuerySet:
    """The ``limit`` rows of ``qs`` nearest the point, annotated with ``distance_m``.

    PostGIS: a KNN index scan (``<->`` on the geography index), which stops after ``limit``
    rows. SpatiaLite 5.0.1 has only the old KNN virtual table, which ranks the whole table
    and so cannot honour the filters on ``qs`` (KNN2 arrived in 5.1). Instead, grow an
    R*Tree-backed radius until it holds ``limit`` rows of ``qs``; every row outside that
    circle is farther than every row inside, so the answer is exact. This runs the probing
    queries now and returns a lazy, sliced queryset for the final one.
    """
    lat, lng = _check_point(lat, lng)
    if limit < 0:
        raise ValueError(f"limit must be >= 0, not {limit}.")
    located = qs.filter(**{f"{field}__isnull": False})
    if limit == 0:
        return located.none()
    if connection.vendor == "postgresql":
        return order_by_distance(_postgis_knn_disc(located, lat, lng, limit, field),
                                 lat=lat, lng=lng, field=field)[:limit]  # fmt: skip
    radius_m = _NEAREST_FIRST_RADIUS_M
    while radius_m < _HALF_CIRCUMFERENCE_M:
        ring = within_radius(located, lat=lat, lng=lng, radius_m=radius_m, field=field)
        if ring.order_by()[:limit].count() >= limit:
            return order_by_distance(ring, lat=lat, lng=lng, field=field)[:limit]
        radius_m *= _NEAREST_GROWTH
    # Fewer than `limit` rows in the whole world: sort them all.
    return order_by_distance(located, lat=lat, lng=lng, field=field)[:limit]


def _postgis_knn_disc(qs: QuerySet, lat: float, lng: float, limit: int, field: str) -> QuerySet:
    """Rows of ``qs`` no farther than its ``limit``-th nearest row, in one lazy query.

    PostgreSQL walks a GiST index in distance order only when ORDER BY is that one distance:
    adding the id tie-break makes it sort the whole table. So a subquery orders by ``<->``
    alone and reads the ``limit``-th distance off the index; the outer query takes every row
    within it (ties included, 1 mm of slack for rounding) through the same index, and
    order_by_distance() puts them in (distance, id) order. Fewer rows than ``limit`` means
    no ``limit``-th distance, and then every row qualifies.
    """
    kth = (
        qs.annotate(knn_m=_distance_expression(lat, lng, field))
        .order_by("knn_m")
        .values("knn_m")[limit - 1 : limit]
    )
    everywhere_m = 2 * _HALF_CIRCUMFERENCE_M  # a constant, so it may sit in the SQL text
    sql = (
        "ST_DWithin(({loc})::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, "
        f"COALESCE({{tail}}, {everywhere_m:.1f}) + 0.001, false)"
    )
    return qs.filter(_LocationSQL(sql, [lng, lat], field=field, output_field=BooleanField(),
                                  tail=cast(Expression, Subquery(kth))))  # fmt: skip
