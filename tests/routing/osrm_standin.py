"""A local stand-in for osrm-routed, for tests that plan through ``routing.OsrmProvider``.

    from tests.routing.osrm_standin import osrm_standin

    with osrm_standin() as base_url:  # "http://127.0.0.1:<free port>"
        matrix = OsrmProvider(base_url).matrix(points)

It speaks the two services OsrmProvider uses, in OSRM's own shapes:

- ``GET /table/v1/{profile}/{lon,lat;…}?annotations=duration,distance[&sources=…&destinations=…]``
  → ``{"code": "Ok", "durations": [[s]], "distances": [[m]]}``;
- ``GET /route/v1/{profile}/{lon,lat;…}?overview=full&geometries=geojson`` →
  ``{"code": "Ok", "routes": [{"geometry": {"type": "LineString", "coordinates": […]}, …}]}``
  whose path passes through the midpoint of every leg (so a test can tell it from a straight
  line through the stops).

Travel is the great-circle distance × ``detour_factor`` at ``speed_kmh``, rounded to 0.1 like
OSRM's answers. Like osrm-routed it refuses a table of more than ``max_table_size``² sources ×
destinations (400, ``TooBig``) and answers malformed requests with 400 and a JSON reason.
Pairs where exactly one end lies on an ``island`` (a predicate on lat, lon) have no route:
``null`` in the table, ``NoRoute`` for a route. ``fail`` makes every answer that status and
JSON body instead (an overloaded or misconfigured server). Each request's path and query is
appended to ``log`` when one is given. Standard library only: no pytest, no Django.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

EARTH_RADIUS_M = 6_371_000.0
OSRM_MAX_TABLE_SIZE = 100  # osrm-routed's default --max-table-size

Island = Callable[[float, float], bool]


def great_circle_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two (lat, lon) points on the sphere (haversine)."""
    (lat1, lon1), (lat2, lon2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


class _BadRequest(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class _Handler(BaseHTTPRequestHandler):
    # Set per server by osrm_standin (a subclass per context).
    speed_kmh: float
    detour_factor: float
    max_table_size: int
    island: Island | None
    fail: tuple[int, dict[str, object]] | None
    log: list[str] | None

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.log is not None:
            self.log.append(self.path)
        if self.fail is not None:
            self._answer(*self.fail)
            return
        try:
            self._answer(200, self._serve())
        except _BadRequest as bad:
            self._answer(400, {"code": bad.code, "message": bad.message})

    def _serve(self) -> dict[str, object]:
        url = urlsplit(self.path)
        parts = url.path.split("/")
        # ["", service, "v1", profile, coordinates]
        if len(parts) != 5 or parts[2] != "v1" or not parts[4]:
            raise _BadRequest("InvalidUrl", f"URL string malformed: {url.path}")
        service, coords = parts[1], _coordinates(parts[4])
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if service == "table":
            return self._table(coords, query)
        if service == "route":
            return self._route(coords)
        raise _BadRequest("InvalidService", f"Service {service} not found!")

    def _leg(self, a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float] | None:
        """(seconds, metres) from a to b, or None when there is no route."""
        if a != b and self.island is not None and self.island(*a) != self.island(*b):
            return None
        metres = great_circle_m(a, b) * self.detour_factor
        return metres / (self.speed_kmh / 3.6), metres

    def _table(self, coords: list[tuple[float, float]], query: dict[str, str]) -> dict[str, object]:
        every = list(range(len(coords)))
        sources = _indices(query.get("sources", "all"), len(coords)) or every
        targets = _indices(query.get("destinations", "all"), len(coords)) or every
        if len(sources) * len(targets) > self.max_table_size**2:
            raise _BadRequest("TooBig", "Too many table coordinates")
        wanted = query.get("annotations", "duration").split(",")
        legs = [[self._leg(coords[i], coords[j]) for j in targets] for i in sources]
        body: dict[str, object] = {"code": "Ok"}
        for name, key, index in (("duration", "durations", 0), ("distance", "distances", 1)):
            if name in wanted:
                body[key] = [[None if leg is None else round(leg[index], 1) for leg in row]
                             for row in legs]  # fmt: skip
        body["sources"] = [_waypoint(coords[i]) for i in sources]
        body["destinations"] = [_waypoint(coords[j]) for j in targets]
        return body

    def _route(self, coords: list[tuple[float, float]]) -> dict[str, object]:
        if len(coords) < 2:
            raise _BadRequest("InvalidValue", "Number of coordinates needs to be at least two")
        line, seconds, metres = [coords[0]], 0.0, 0.0
        for a, b in zip(coords, coords[1:], strict=False):
            leg = self._leg(a, b)
            if leg is None:
                raise _BadRequest("NoRoute", "Impossible route between points")
            seconds, metres = seconds + leg[0], metres + leg[1]
            line += [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2), b]
        geometry = {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in line]}
        route = {"geometry": geometry, "duration": round(seconds, 1), "distance": round(metres, 1)}
        return {"code": "Ok", "routes": [route], "waypoints": [_waypoint(c) for c in coords]}

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass  # quiet: a test's output is not the place for an access log


def _coordinates(text: str) -> list[tuple[float, float]]:
    """OSRM's ``lon,lat;lon,lat`` as (lat, lon) pairs."""
    out = []
    for pair in text.split(";"):
        try:
            lon, lat = (float(v) for v in pair.split(","))
        except ValueError:
            raise _BadRequest("InvalidQuery", f"Query string malformed close to {pair}") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise _BadRequest("InvalidOptions", "Coordinates are invalid")
        out.append((lat, lon))
    return out


def _indices(text: str, n: int) -> list[int]:
    """``sources``/``destinations``: ``all`` (empty list: every point) or ``i;j;…``."""
    if text == "all":
        return []
    try:
        indices = [int(i) for i in text.split(";")]
    except ValueError:
        raise _BadRequest("InvalidQuery", f"Query string malformed close to {text}") from None
    if any(not 0 <= i < n for i in indices):
        raise _BadRequest("InvalidOptions", "Index out of bounds")
    return indices


def _waypoint(point: tuple[float, float]) -> dict[str, object]:
    return {"location": [point[1], point[0]], "name": "", "distance": 0}


@contextmanager
def osrm_standin(
    *,
    speed_kmh: float = 36.0,
    detour_factor: float = 1.0,
    max_table_size: int = OSRM_MAX_TABLE_SIZE,
    island: Island | None = None,
    fail: tuple[int, dict[str, object]] | None = None,
    log: list[str] | None = None,
) -> Iterator[str]:
    """Serve the stand-in on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    settings = {
        "speed_kmh": speed_kmh,
        "detour_factor": detour_factor,
        "max_table_size": max_table_size,
        "island": staticmethod(island) if island is not None else None,
        "fail": fail,
        "log": log,
    }
    handler = type("OsrmStandinHandler", (_Handler,), settings)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="osrm-standin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
