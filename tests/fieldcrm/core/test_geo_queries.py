"""The spatial query helpers in fieldcrm.core.geo, checked against a brute-force haversine.

The same tests run on SpatiaLite and PostGIS. Beyond giving the right rows, each helper must
use the spatial index: on PostGIS EXPLAIN must show it, on SpatiaLite the SQL must name the
R*Tree (SQLite never consults it otherwise).
"""

from __future__ import annotations

import math
import random

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from fieldcrm.accounts.models import Account
from fieldcrm.core import geo

CENTRE_LAT, CENTRE_LNG = 42.05, 1.05


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Written out here rather than imported, so the helpers are checked against our own sums."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    )
    return 2 * geo.EARTH_RADIUS_M * math.asin(math.sqrt(h))


def destination(lat: float, lng: float, bearing_deg: float, dist_m: float) -> tuple[float, float]:
    """The point ``dist_m`` metres from (lat, lng) along ``bearing_deg``, on the sphere."""
    p1, l1, theta = math.radians(lat), math.radians(lng), math.radians(bearing_deg)
    d = dist_m / geo.EARTH_RADIUS_M
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(theta))
    l2 = l1 + math.atan2(
        math.sin(theta) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180


def accounts(points: list[tuple[float, float]], **fields) -> list[Account]:
    """Bulk-created accounts at (lat, lng) points, named by their position in the list."""
    rows = [
        Account(name=f"p{i:05d}", location=Point(lng, lat, srid=4326), **fields)
        for i, (lat, lng) in enumerate(points)
    ]
    return Account.objects.bulk_create(rows, batch_size=2000)


def scattered(n: int, seed: int = 7, spread_deg: float = 0.05) -> list[tuple[float, float]]:
    rnd = random.Random(seed)
    return [
        (CENTRE_LAT + rnd.uniform(-spread_deg, spread_deg),
         CENTRE_LNG + rnd.uniform(-spread_deg, spread_deg))
        for _ in range(n)
    ]  # fmt: skip


def by_distance(rows: list[Account], lat: float, lng: float) -> list[Account]:
    return sorted(
        rows, key=lambda a: (haversine_m(lat, lng, a.location.y, a.location.x), str(a.pk))
    )


@pytest.mark.django_db
def test_within_radius_keeps_points_just_inside_and_drops_those_just_outside():
    inside = [destination(CENTRE_LAT, CENTRE_LNG, b, 1999.5) for b in range(0, 360, 15)]
    outside = [destination(CENTRE_LAT, CENTRE_LNG, b, 2000.5) for b in range(0, 360, 15)]
    made = accounts(inside + outside)
    found = set(
        geo.within_radius(
            Account.objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG, radius_m=2000
        ).values_list("pk", flat=True)
    )
    assert found == {a.pk for a in made[: len(inside)]}


@pytest.mark.django_db
def test_within_radius_matches_brute_force_haversine():
    made = accounts(scattered(600))
    for radius_m in (300.0, 1500.0, 4000.0):
        expected = {
            a.pk
            for a in made
            if haversine_m(CENTRE_LAT, CENTRE_LNG, a.location.y, a.location.x) <= radius_m
        }
        qs = geo.within_radius(Account.objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG,
                               radius_m=radius_m)  # fmt: skip
        assert set(qs.values_list("pk", flat=True)) == expected
        assert expected, "the sample should put some points inside every radius"


@pytest.mark.django_db
def test_in_bbox_includes_the_edges_and_excludes_points_just_beyond():
    west, south, east, north = 1.0, 42.0, 1.1, 42.05
    on_edges = [(south, west), (north, east), (south, 1.05), (42.02, east), (north, west)]
    beyond = [
        (south - 1e-6, 1.05),
        (north + 1e-6, 1.05),
        (42.02, west - 1e-6),
        (42.02, east + 1e-6),
    ]
    made = accounts(on_edges + [(42.02, 1.05)] + beyond)
    qs = geo.in_bbox(Account.objects.all(), west=west, south=south, east=east, north=north)
    assert set(qs.values_list("pk", flat=True)) == {a.pk for a in made[:6]}


@pytest.mark.django_db
def test_order_by_distance_gives_metres_in_haversine_order_with_unlocated_last():
    made = accounts(scattered(200))
    unlocated = Account.objects.create(name="nowhere", location=None)
    rows = list(geo.order_by_distance(Account.objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG))
    assert [a.pk for a in rows] == [a.pk for a in by_distance(made, CENTRE_LAT, CENTRE_LNG)] + [
        unlocated.pk
    ]
    for a in rows[:-1]:
        want = haversine_m(CENTRE_LAT, CENTRE_LNG, a.location.y, a.location.x)
        assert a.distance_m == pytest.approx(want, rel=1e-6, abs=1e-3)


@pytest.mark.django_db
def test_order_by_distance_breaks_ties_by_id_so_pages_are_stable():
    made = accounts([(CENTRE_LAT, CENTRE_LNG + 0.01)] * 6)
    qs = geo.order_by_distance(Account.objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG)
    assert [a.pk for a in qs[:3]] + [a.pk for a in qs[3:6]] == sorted((a.pk for a in made), key=str)


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [1, 10, 57])
def test_nearest_returns_the_limit_closest_in_order(limit):
    # Sparse on purpose: SpatiaLite's expanding window must grow several times.
    made = accounts(scattered(300, spread_deg=0.5))
    rows = list(geo.nearest(Account.objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG, limit=limit))
    assert [a.pk for a in rows] == [a.pk for a in by_distance(made, CENTRE_LAT, CENTRE_LNG)][:limit]
    assert all(a.distance_m is not None for a in rows)


@pytest.mark.django_db
def test_nearest_with_fewer_rows_than_the_limit_returns_them_all():
    made = accounts([(10.0, 20.0), (-30.0, -60.0)])
    rows = list(geo.nearest(Account.objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG, limit=10))
    assert [a.pk for a in rows] == [made[0].pk, made[1].pk]


@pytest.mark.django_db
def test_helpers_compose_with_a_status_filter():
    near_leads = accounts(scattered(50, seed=1, spread_deg=0.002), status="lead")
    customers = accounts(scattered(40, seed=2, spread_deg=0.2), status="customer")
    qs = Account.objects.filter(status="customer")
    near = geo.within_radius(qs, lat=CENTRE_LAT, lng=CENTRE_LNG, radius_m=15_000)
    assert set(near.values_list("status", flat=True)) == {"customer"}
    rows = list(geo.nearest(qs, lat=CENTRE_LAT, lng=CENTRE_LNG, limit=5))
    assert [a.pk for a in rows] == [a.pk for a in by_distance(customers, CENTRE_LAT, CENTRE_LNG)][
        :5
    ]
    box = geo.in_bbox(qs, west=0.9, south=41.9, east=1.2, north=42.2)
    assert box.count() == sum(
        1 for a in customers if 0.9 <= a.location.x <= 1.2 and 41.9 <= a.location.y <= 42.2
    )
    assert len(near_leads) == 50


@pytest.mark.django_db
def test_soft_deleted_accounts_stay_hidden_when_the_queryset_hides_them():
    made = accounts(scattered(20, spread_deg=0.001))
    gone = by_distance(made, CENTRE_LAT, CENTRE_LNG)[0]
    gone.soft_delete()
    for qs in (
        geo.within_radius(Account.objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG, radius_m=1000),
        geo.in_bbox(Account.objects.all(), west=1.0, south=42.0, east=1.1, north=42.1),
        geo.order_by_distance(Account.objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG),
        geo.nearest(Account.objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG, limit=3),
    ):
        assert gone.pk not in {a.pk for a in qs}
    tombstones = geo.nearest(Account.all_objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG, limit=1)
    assert [a.pk for a in tombstones] == [gone.pk]


@pytest.mark.django_db
def test_helpers_work_inside_a_subquery_and_under_exclude():
    made = accounts(scattered(100))
    inner = geo.within_radius(Account.objects.all(), lat=CENTRE_LAT, lng=CENTRE_LNG, radius_m=2000)
    expected = {
        a.pk
        for a in made
        if haversine_m(CENTRE_LAT, CENTRE_LNG, a.location.y, a.location.x) <= 2000
    }
    assert set(Account.objects.filter(pk__in=inner.values("pk")).values_list("pk", flat=True)) == (
        expected
    )
    outside = Account.objects.exclude(pk__in=inner.values("pk"))
    assert set(outside.values_list("pk", flat=True)) == {a.pk for a in made} - expected


@pytest.mark.django_db
def test_poles_and_antimeridian_do_not_crash():
    made = accounts([(89.999, 10.0), (89.999, -170.0), (-10.0, 179.999), (-10.0, -179.999)])
    polar = geo.within_radius(Account.objects.all(), lat=90.0, lng=0.0, radius_m=1000)
    assert set(polar.values_list("pk", flat=True)) == {made[0].pk, made[1].pk}
    dateline = geo.within_radius(Account.objects.all(), lat=-10.0, lng=180.0, radius_m=1000)
    assert set(dateline.values_list("pk", flat=True)) == {made[2].pk, made[3].pk}
    across = geo.in_bbox(Account.objects.all(), west=179.0, south=-11.0, east=-179.0, north=-9.0)
    assert set(across.values_list("pk", flat=True)) == {made[2].pk, made[3].pk}
    assert len(list(geo.nearest(Account.objects.all(), lat=-90.0, lng=-180.0, limit=2))) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "call",
    [
        lambda qs: geo.within_radius(qs, lat=float("nan"), lng=1.0, radius_m=10),
        lambda qs: geo.within_radius(qs, lat=91.0, lng=1.0, radius_m=10),
        lambda qs: geo.within_radius(qs, lat=1.0, lng=1.0, radius_m=-1),
        lambda qs: geo.within_radius(qs, lat=1.0, lng=1.0, radius_m=float("inf")),
        lambda qs: geo.in_bbox(qs, west=0.0, south=2.0, east=1.0, north=1.0),
        lambda qs: geo.in_bbox(qs, west=0.0, south=0.0, east=float("nan"), north=1.0),
        lambda qs: geo.order_by_distance(qs, lat=0.0, lng=181.0),
        lambda qs: geo.nearest(qs, lat=0.0, lng=0.0, limit=-1),
    ],
)
def test_helpers_refuse_values_that_are_not_coordinates(call):
    with pytest.raises(ValueError):
        call(Account.objects.all())


# --- the index is used ------------------------------------------------------------------------


def _explain(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _location_indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_account' "
            "AND indexdef ILIKE '%%USING gist%%location%%'"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.postgis
@pytest.mark.django_db
def test_postgis_plans_use_the_spatial_indexes():
    if connection.vendor != "postgresql":
        pytest.skip("PostGIS only")
    # 4,000 rows over a region-sized area: enough that, after ANALYZE, the planner prefers the
    # index on its own (no enable_seqscan tricks), as it will with a real table.
    accounts(scattered(4_000, seed=3, spread_deg=0.3))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_account")
    indexes = _location_indexes()
    assert "accounts_account_location_geog_idx" in indexes
    base = Account.objects.filter(status="lead")
    plans = {
        "radius": _explain(
            geo.order_by_distance(
                geo.within_radius(base, lat=CENTRE_LAT, lng=CENTRE_LNG, radius_m=500),
                lat=CENTRE_LAT,
                lng=CENTRE_LNG,
            )[:50]
        ),
        "bbox": _explain(
            geo.in_bbox(base, west=1.04, south=42.04, east=1.06, north=42.06).order_by("pk")[:50]
        ),
        "nearest": _explain(geo.nearest(base, lat=CENTRE_LAT, lng=CENTRE_LNG, limit=10)),
    }
    for name, plan in plans.items():
        used = [i for i in indexes if f"Scan on {i}" in plan or f"Scan using {i}" in plan]
        assert used, f"{name} does not use a spatial index:\n{plan}"
        assert "Seq Scan" not in plan, f"{name} scans the table:\n{plan}"
    assert "accounts_account_location_geog_idx" in plans["nearest"]
    assert "Order By" in plans["nearest"] or "<->" in plans["nearest"], plans["nearest"]


@pytest.mark.django_db
def test_spatialite_queries_name_the_rtree_and_sqlite_uses_it():
    if connection.vendor == "postgresql":
        pytest.skip("SpatiaLite only")
    accounts(scattered(50))
    base = Account.objects.filter(status="lead")
    for qs in (
        geo.within_radius(base, lat=CENTRE_LAT, lng=CENTRE_LNG, radius_m=500),
        geo.in_bbox(base, west=1.04, south=42.04, east=1.06, north=42.06),
        geo.nearest(base, lat=CENTRE_LAT, lng=CENTRE_LNG, limit=10),
    ):
        assert "idx_accounts_account_location" in str(qs.query)
        plan = _explain(qs)
        assert "idx_accounts_account_location" in plan, plan
        # The account rows are fetched by rowid from the R*Tree's answer, not scanned.
        assert "SCAN accounts_account" not in plan, plan
