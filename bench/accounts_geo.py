"""Spatial account queries at scale: near (2 km, first page), 10 nearest, city bbox (issue 3).

Run: .venv/bin/python bench/accounts_geo.py [--smoke] [--accounts N] [--queries Q]
     [--backend postgis|spatialite|both]

Generates N accounts (default 1,000,000) clustered around ~400 European towns (80 real ones
with rough populations, each with a few satellite villages), Gaussian cores and suburbs scaled
by town size, plus a little rural noise. Loads them the fast way (COPY on PostGIS, big
executemany batches on SpatiaLite, indexes rebuilt after the load), then times each query
three ways on the same random points: hand-written SQL, the core.geo helpers through the ORM,
and the HTTP API (Django's test Client) when /api/v1/accounts exists. Each backend runs in its
own child process, because Django's settings read DATABASE_URL once per process.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.database import postgis_cluster  # noqa: E402

# (name, lat, lng, population in thousands): rough figures are enough to shape the clusters.
TOWNS: list[tuple[str, float, float, int]] = [
    ("Paris", 48.857, 2.352, 2100), ("London", 51.507, -0.128, 8900),
    ("Berlin", 52.520, 13.405, 3650), ("Madrid", 40.417, -3.704, 3300),
    ("Rome", 41.903, 12.496, 2800), ("Barcelona", 41.385, 2.173, 1620),
    ("Milan", 45.464, 9.190, 1390), ("Munich", 48.137, 11.575, 1480),
    ("Vienna", 48.208, 16.373, 1900), ("Hamburg", 53.551, 9.993, 1850),
    ("Warsaw", 52.230, 21.012, 1790), ("Budapest", 47.498, 19.040, 1750),
    ("Prague", 50.075, 14.438, 1300), ("Brussels", 50.850, 4.352, 1200),
    ("Amsterdam", 52.368, 4.904, 870), ("Lyon", 45.764, 4.836, 520),
    ("Marseille", 43.296, 5.370, 870), ("Toulouse", 43.605, 1.444, 490),
    ("Nice", 43.710, 7.262, 340), ("Nantes", 47.218, -1.554, 320),
    ("Strasbourg", 48.573, 7.752, 285), ("Bordeaux", 44.838, -0.579, 260),
    ("Lille", 50.629, 3.057, 235), ("Montpellier", 43.611, 3.877, 290),
    ("Rennes", 48.117, -1.678, 220), ("Grenoble", 45.188, 5.724, 160),
    ("Dijon", 47.322, 5.041, 157), ("Reims", 49.258, 4.032, 182),
    ("Le Havre", 49.494, 0.108, 170), ("Toulon", 43.124, 5.928, 176),
    ("Perpignan", 42.699, 2.895, 120), ("Andorra la Vella", 42.507, 1.522, 23),
    ("Girona", 41.980, 2.820, 100), ("Lleida", 41.617, 0.620, 138),
    ("Tarragona", 41.119, 1.245, 135), ("Zaragoza", 41.649, -0.889, 675),
    ("Valencia", 39.470, -0.376, 790), ("Seville", 37.389, -5.984, 690),
    ("Bilbao", 43.263, -2.935, 345), ("Porto", 41.158, -8.629, 230),
    ("Lisbon", 38.722, -9.139, 545), ("Turin", 45.070, 7.687, 870),
    ("Genoa", 44.405, 8.946, 580), ("Bologna", 44.494, 11.342, 390),
    ("Florence", 43.770, 11.256, 380), ("Naples", 40.852, 14.268, 960),
    ("Venice", 45.441, 12.316, 260), ("Zurich", 47.377, 8.541, 420),
    ("Geneva", 46.204, 6.143, 200), ("Basel", 47.560, 7.588, 175),
    ("Bern", 46.948, 7.447, 134), ("Frankfurt", 50.110, 8.682, 750),
    ("Cologne", 50.938, 6.960, 1080), ("Stuttgart", 48.776, 9.183, 630),
    ("Düsseldorf", 51.228, 6.774, 620), ("Leipzig", 51.340, 12.375, 600),
    ("Dresden", 51.050, 13.738, 555), ("Hanover", 52.376, 9.732, 535),
    ("Nuremberg", 49.452, 11.077, 515), ("Rotterdam", 51.924, 4.478, 650),
    ("The Hague", 52.070, 4.300, 545), ("Utrecht", 52.091, 5.122, 360),
    ("Antwerp", 51.219, 4.402, 530), ("Ghent", 51.054, 3.717, 265),
    ("Luxembourg", 49.611, 6.130, 130), ("Copenhagen", 55.676, 12.568, 640),
    ("Stockholm", 59.329, 18.069, 980), ("Oslo", 59.914, 10.752, 700),
    ("Helsinki", 60.170, 24.938, 660), ("Dublin", 53.350, -6.260, 590),
    ("Manchester", 53.480, -2.242, 550), ("Birmingham", 52.486, -1.890, 1140),
    ("Edinburgh", 55.953, -3.188, 525), ("Kraków", 50.065, 19.945, 780),
    ("Wrocław", 51.108, 17.039, 640), ("Bratislava", 48.149, 17.107, 475),
    ("Ljubljana", 46.056, 14.506, 295), ("Zagreb", 45.815, 15.982, 770),
    ("Athens", 37.984, 23.728, 660), ("Bucharest", 44.427, 26.103, 1830),
    ("Sofia", 42.698, 23.322, 1240),
]  # fmt: skip

KM_PER_DEG = 111.195
RURAL_SHARE = 0.03  # accounts out in the countryside, uniform over the map
EUROPE = (-10.0, 36.0, 30.0, 62.0)  # west, south, east, north
STATUSES = ("lead", "lead", "prospect", "customer", "customer", "customer", "churned")
RADIUS_M = 2000
BBOX_KM = 5.0
SLOW_S, SLOW_QUERIES = 1.0, 20


class Geography:
    """Towns with weights and spreads, and a sampler of realistic account positions."""

    def __init__(self, seed: int = 42) -> None:
        rnd = random.Random(seed)
        towns: list[tuple[float, float, float]] = []
        for _, lat, lng, pop in TOWNS:
            towns.append((lat, lng, float(pop)))
            # Satellite villages 8-60 km out, a few percent of the town's size each.
            for _ in range(rnd.randint(3, 6)):
                dist_km, bearing = rnd.uniform(8, 60), rnd.uniform(0, 2 * math.pi)
                towns.append((
                    lat + dist_km * math.cos(bearing) / KM_PER_DEG,
                    lng + dist_km * math.sin(bearing) / (KM_PER_DEG * math.cos(math.radians(lat))),
                    pop * rnd.uniform(0.01, 0.08),
                ))  # fmt: skip
        self.towns = towns
        self.weights = [pop for _, _, pop in towns]

    def sample(self, rnd: random.Random) -> tuple[float, float]:
        """(lat, lng) of one account: a town by population, then its core or its suburbs."""
        if rnd.random() < RURAL_SHARE:
            west, south, east, north = EUROPE
            return rnd.uniform(south, north), rnd.uniform(west, east)
        lat, lng, pop = rnd.choices(self.towns, weights=self.weights)[0]
        # Area grows with population, so the spread grows with its square root.
        sigma_km = 0.08 * math.sqrt(pop) * (1.0 if rnd.random() < 0.6 else 3.0)
        dlat = rnd.gauss(0, sigma_km) / KM_PER_DEG
        dlng = rnd.gauss(0, sigma_km) / (KM_PER_DEG * math.cos(math.radians(lat)))
        return max(-90.0, min(90.0, lat + dlat)), max(-180.0, min(180.0, lng + dlng))


# --- child process: load, then time ----------------------------------------------------------


def _template() -> tuple[list[str], list[Any]]:
    """Every Account column with the database value Django would save for a fresh account."""
    from django.db import connection

    from fieldcrm.accounts.models import Account

    blank = Account(name="x")
    fields = Account._meta.concrete_fields
    values = [f.get_db_prep_save(f.pre_save(blank, add=True), connection) for f in fields]
    if connection.vendor == "postgresql":
        # COPY's text format wants JSON as text; psycopg's Jsonb wrapper would also do, but
        # plain strings keep the row builder identical on both backends.
        values = [json.dumps(v.obj) if type(v).__name__ == "Jsonb" else v for v in values]
    return [f.column for f in fields], values


def _rows(n: int, geography: Geography, columns: list[str], template: list[Any],
          as_uuid: Callable[[uuid.UUID], Any], as_point: Callable[[float, float], Any],
          ) -> Iterator[list[Any]]:  # fmt: skip
    rnd = random.Random(1)
    at = {name: i for i, name in enumerate(columns)}
    for i in range(n):
        row = list(template)
        lat, lng = geography.sample(rnd)
        row[at["id"]] = as_uuid(uuid.UUID(int=rnd.getrandbits(128), version=4))
        row[at["name"]] = f"Shop {i}"
        row[at["status"]] = rnd.choice(STATUSES)
        row[at["location"]] = as_point(lat, lng)
        yield row


def load_postgis(n: int, geography: Geography) -> None:
    from django.db import connection

    columns, template = _template()
    with connection.cursor() as cursor:
        # Indexes (not the primary key or unique constraints) are dropped and rebuilt after the
        # load: building a GiST index once is far cheaper than maintaining it per row.
        cursor.execute("""
            SELECT pg_get_indexdef(x.indexrelid), x.indexrelid::regclass::text FROM pg_index x
            WHERE x.indrelid = 'accounts_account'::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """)
        indexes = cursor.fetchall()
        for _, name in indexes:
            cursor.execute(f"DROP INDEX {name}")
    raw = connection.connection
    cols = ", ".join(columns)
    with raw.cursor() as cur, cur.copy(f"COPY accounts_account ({cols}) FROM STDIN") as copy:
        for row in _rows(n, geography, columns, template, str,
                         lambda lat, lng: f"SRID=4326;POINT({lng!r} {lat!r})"):  # fmt: skip
            copy.write_row(row)
    raw.commit() if not raw.autocommit else None
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for definition, _ in indexes:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE accounts_account")


def load_spatialite(n: int, geography: Geography) -> None:
    from django.db import connection, transaction

    columns, template = _template()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA journal_mode = MEMORY")
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'accounts_account' AND sql IS NOT NULL"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        # The R*Tree too: its triggers would update it row by row; CreateSpatialIndex below
        # rebuilds it from the finished table in one pass.
        cursor.execute("SELECT DisableSpatialIndex('accounts_account', 'location')")
        cursor.execute("DROP TABLE IF EXISTS idx_accounts_account_location")
    at = columns.index("location")
    marks = ", ".join("MakePoint(%s, %s, 4326)" if i == at else "%s" for i in range(len(columns)))
    sql = f"INSERT INTO accounts_account ({', '.join(columns)}) VALUES ({marks})"
    batch: list[list[Any]] = []

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
        batch.clear()

    for row in _rows(n, geography, columns, template, lambda u: u.hex,
                     lambda lat, lng: (lng, lat)):  # fmt: skip
        lng_lat = row.pop(at)
        row[at:at] = lng_lat
        batch.append(row)
        if len(batch) >= 50_000:
            flush()
    flush()
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SELECT CreateSpatialIndex('accounts_account', 'location')")
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA synchronous = NORMAL")


def raw_queries(vendor: str) -> dict[str, Callable[[Any, float, float], list[Any]]]:
    """Hand-written SQL for each query, returning the same rows and columns the ORM reads."""

    def window(lat: float, lng: float, half_deg: float) -> list[float]:
        dlng = half_deg / math.cos(math.radians(lat))
        return [lng - dlng, lng + dlng, lat - half_deg, lat + half_deg]

    if vendor == "postgresql":
        pt = "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography"

        def near(cur: Any, lat: float, lng: float) -> list[Any]:
            cur.execute(
                f"SELECT a.*, a.location::geography <-> {pt} AS d FROM accounts_account a "
                f"WHERE a.deleted_at IS NULL AND ST_DWithin(a.location::geography, {pt}, %s, "
                "false) ORDER BY d, a.id LIMIT 50",
                [lng, lat, lng, lat, RADIUS_M],
            )
            return cur.fetchall()

        def nearest(cur: Any, lat: float, lng: float) -> list[Any]:
            cur.execute(
                f"SELECT a.*, a.location::geography <-> {pt} AS d FROM accounts_account a "
                f"WHERE a.deleted_at IS NULL ORDER BY a.location::geography <-> {pt} LIMIT 10",
                [lng, lat, lng, lat],
            )
            return cur.fetchall()

        def bbox(cur: Any, lat: float, lng: float) -> list[Any]:
            w, e, s, n = window(lat, lng, BBOX_KM / 2 / KM_PER_DEG)
            cur.execute(
                "SELECT a.* FROM accounts_account a WHERE a.deleted_at IS NULL AND "
                "ST_Intersects(a.location, ST_MakeEnvelope(%s, %s, %s, %s, 4326)) "
                "ORDER BY a.name, a.id LIMIT 50",
                [w, s, e, n],
            )
            return cur.fetchall()

        return {"near 2 km": near, "nearest 10": nearest, "bbox 5 km": bbox}

    rtree = (
        "a.rowid IN (SELECT pkid FROM idx_accounts_account_location "
        "WHERE xmax >= %s AND xmin <= %s AND ymax >= %s AND ymin <= %s)"
    )

    def ring(cur: Any, lat: float, lng: float, radius_m: float, limit: int) -> list[Any]:
        w, e, s, n = window(lat, lng, radius_m / (KM_PER_DEG * 1000))
        cur.execute(
            "SELECT a.*, ST_Distance(a.location, MakePoint(%s, %s, 4326), 0) AS d "
            f"FROM accounts_account a WHERE {rtree} AND a.deleted_at IS NULL "
            "AND PtDistWithin(a.location, MakePoint(%s, %s, 4326), %s, 0) = 1 "
            "ORDER BY d, a.id LIMIT %s",
            [lng, lat, w, e, s, n, lng, lat, radius_m, limit],
        )
        return cur.fetchall()

    def near(cur: Any, lat: float, lng: float) -> list[Any]:
        return ring(cur, lat, lng, RADIUS_M, 50)

    def nearest(cur: Any, lat: float, lng: float) -> list[Any]:
        # The same growing window as core.geo.nearest, written out by hand.
        radius_m = 500.0
        while True:
            rows = ring(cur, lat, lng, radius_m, 10)
            if len(rows) == 10 or radius_m > 2e7:
                return rows
            radius_m *= 4

    def knn(cur: Any, lat: float, lng: float) -> list[Any]:
        cur.execute(
            "SELECT a.*, k.distance FROM KNN k JOIN accounts_account a ON a.rowid = k.fid "
            "WHERE k.f_table_name = 'accounts_account' AND k.f_geometry_column = 'location' "
            "AND k.ref_geometry = MakePoint(%s, %s, 4326) AND k.max_items = 10 ORDER BY k.pos",
            [lng, lat],
        )
        return cur.fetchall()

    def bbox(cur: Any, lat: float, lng: float) -> list[Any]:
        w, e, s, n = window(lat, lng, BBOX_KM / 2 / KM_PER_DEG)
        cur.execute(
            f"SELECT a.* FROM accounts_account a WHERE {rtree} AND a.deleted_at IS NULL "
            "AND ST_X(a.location) BETWEEN %s AND %s AND ST_Y(a.location) BETWEEN %s AND %s "
            "ORDER BY a.name, a.id LIMIT 50",
            [w, e, s, n, w, e, s, n],
        )
        return cur.fetchall()

    return {"near 2 km": near, "nearest 10": nearest, "bbox 5 km": bbox, "nearest KNN vtable": knn}


def orm_queries() -> dict[str, Callable[[float, float], list[Any]]]:
    from fieldcrm.accounts.models import Account
    from fieldcrm.core import geo

    def near(lat: float, lng: float) -> list[Any]:
        qs = geo.within_radius(Account.objects.all(), lat=lat, lng=lng, radius_m=RADIUS_M)
        return list(geo.order_by_distance(qs, lat=lat, lng=lng)[:50])

    def nearest(lat: float, lng: float) -> list[Any]:
        return list(geo.nearest(Account.objects.all(), lat=lat, lng=lng, limit=10))

    def bbox(lat: float, lng: float) -> list[Any]:
        half = BBOX_KM / 2 / KM_PER_DEG
        dlng = half / math.cos(math.radians(lat))
        qs = geo.in_bbox(Account.objects.all(), west=lng - dlng, south=lat - half,
                         east=lng + dlng, north=lat + half)  # fmt: skip
        return list(qs.order_by("name", "id")[:50])

    return {"near 2 km": near, "nearest 10": nearest, "bbox 5 km": bbox}


def api_queries() -> tuple[dict[str, Callable[[float, float], Any]], str]:
    """HTTP calls through Django's test Client as an admin, or why they cannot be made."""
    from django.test import Client
    from django.urls import Resolver404, resolve

    try:
        resolve("/api/v1/accounts")
    except Resolver404:
        return {}, "no /api/v1/accounts route"
    except Exception as exc:  # the API is being written in parallel; any import error counts
        return {}, f"{type(exc).__name__}: {exc}"
    from fieldcrm.users.models import User

    admin = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "bench@example.org", "bench-admin-pw", role="admin"
    )
    client = Client(HTTP_HOST="localhost")  # a host settings.ALLOWED_HOSTS accepts by default
    client.force_login(admin)

    def get(query: str) -> Any:
        response = client.get(f"/api/v1/accounts?{query}")
        if response.status_code != 200:
            raise RuntimeError(f"{query} -> {response.status_code} {response.content[:300]!r}")
        return response

    half = BBOX_KM / 2 / KM_PER_DEG

    def bbox(lat: float, lng: float) -> Any:
        dlng = half / math.cos(math.radians(lat))
        return get(f"bbox={lng - dlng},{lat - half},{lng + dlng},{lat + half}&limit=50")

    return {
        "near 2 km": lambda lat, lng: get(f"near={lat},{lng}&radius_m={RADIUS_M}&limit=50"),
        "nearest 10": lambda lat, lng: get(f"near={lat},{lng}&limit=10"),
        "bbox 5 km": bbox,
    }, ""


def measure(n_queries: int, geography: Geography) -> dict[str, Any]:
    from django.db import connection

    rnd = random.Random(2)
    # Reps ask where accounts are, so query points follow the accounts' own distribution.
    points = [geography.sample(rnd) for _ in range(n_queries)]
    raw = raw_queries(connection.vendor)
    orm = orm_queries()
    try:
        api, api_missing = api_queries()
    except Exception as exc:
        api, api_missing = {}, f"{type(exc).__name__}: {exc}"
    results: dict[str, Any] = {"timings": {}, "api_missing": api_missing, "rows": {}}
    with connection.cursor() as cursor:
        for name, raw_fn in raw.items():
            ways: dict[str, Callable[[float, float], Any]] = {
                "raw": lambda lat, lng, f=raw_fn: f(cursor, lat, lng)
            }
            if name in orm:
                ways["orm"] = orm[name]
            if name in api:
                ways["api"] = api[name]
            # Warm caches and connections, untimed. A way that takes over a second a query
            # (a full-table sort) is timed on fewer points, so one slow path cannot stretch
            # the run to hours; the table says how many.
            budget: dict[str, int] = {}
            for way, fn in ways.items():
                start = time.perf_counter()
                for lat, lng in points[:5]:
                    fn(lat, lng)
                slow = (time.perf_counter() - start) / 5 > SLOW_S
                budget[way] = min(len(points), SLOW_QUERIES) if slow else len(points)
            times: dict[str, list[float]] = {way: [] for way in ways}
            counts: list[int] = []
            for i, (lat, lng) in enumerate(points):
                ways_now = {w: fn for w, fn in ways.items() if i < budget[w]}
                # Interleaved in a shuffled order: the first way to touch a point's pages would
                # otherwise always pay for reading them, and machine load hits all alike.
                order = list(ways_now.items())
                rnd.shuffle(order)
                for way, fn in order:
                    start = time.perf_counter()
                    out = fn(lat, lng)
                    times[way].append((time.perf_counter() - start) * 1000)
                    if way == "raw":
                        counts.append(len(out))
            results["timings"][name] = times
            results["rows"][name] = statistics.mean(counts)
    return results


def child(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("FIELDCRM_SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    geography = Geography()
    start = time.perf_counter()
    (load_postgis if connection.vendor == "postgresql" else load_spatialite)(
        args.accounts, geography
    )
    load_s = time.perf_counter() - start
    results = measure(args.queries, geography)
    results["load_s"] = load_s
    print("RESULT " + json.dumps(results), flush=True)


# --- parent process: one child per backend, then the table -----------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_backend(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", "--database-url", url,
           "--accounts", str(args.accounts), "--queries", str(args.queries)]  # fmt: skip
    out = subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="20,000 accounts, 20 queries")
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--queries", type=int, default=None)
    parser.add_argument("--backend", choices=["postgis", "spatialite", "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.accounts = args.accounts or (20_000 if args.smoke else 1_000_000)
    args.queries = args.queries or (20 if args.smoke else 200)
    if args.child:
        child(args)
        return
    results: dict[str, dict[str, Any]] = {}
    if args.backend in ("postgis", "both"):
        with postgis_cluster(dbname="fieldcrm_bench") as url:
            results["postgis"] = run_backend("postgis", url, args)
    if args.backend in ("spatialite", "both"):
        with tempfile.TemporaryDirectory(prefix="fieldcrm-bench-") as tmp:
            results["spatialite"] = run_backend("spatialite", f"spatialite:///{tmp}/b.db", args)
    print(f"{args.accounts:,} accounts, {args.queries} random queries per row (ms)")
    heads = ["raw p50", "raw p95", "orm p50", "orm p95", "api p50", "api p95", "api/raw"]
    print(f"{'backend':<11} {'query':<19} {'rows':>5} " + " ".join(f"{h:>8}" for h in heads))
    for backend, result in results.items():
        for name, times in result["timings"].items():
            cells = []
            for way in ("raw", "orm", "api"):
                values = times.get(way)
                cells += (
                    [f"{pct(values, 0.5):8.2f}", f"{pct(values, 0.95):8.2f}"]
                    if values
                    else [f"{'-':>8}", f"{'-':>8}"]
                )
            ratio = (
                f"{pct(times['api'], 0.5) / pct(times['raw'], 0.5):8.2f}" if "api" in times else
                f"{'-':>8}"
            )  # fmt: skip
            few = {w: len(v) for w, v in times.items() if len(v) < len(times["raw"])}
            note = (
                "  (timed on " + ", ".join(f"{w}: {k}" for w, k in few.items()) + ")" if few else ""
            )
            print(
                f"{backend:<11} {name:<19} {result['rows'][name]:5.0f} {' '.join(cells)} {ratio}"
                + note
            )
        print(f"{backend:<11} load {result['load_s']:.1f} s")
        if result["api_missing"]:
            print(f"{backend:<11} api: not available ({result['api_missing']})")


if __name__ == "__main__":
    main()
