"""Travel-time providers behind one interface, and the per-problem matrix cache.

A provider (``routing.model.Provider``) turns a list of points into integer duration (s) and
distance (m) matrices and can draw the path through a sequence of points. Pairs with no path
hold ``UNREACHABLE``; the solver turns those into dropped visits, never an exception.
"""

from __future__ import annotations

import http.client
import json
import math
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.model import UNREACHABLE, Location, Provider, TravelMatrix

EARTH_RADIUS_M = 6_371_000.0


def haversine_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=float)


def _straight(points: Sequence[Location]) -> list[tuple[float, float]]:
    return [(p.lat, p.lon) for p in points]


@dataclass(frozen=True)
class GreatCircleProvider:
    """The default: no network, no data. Road distance ≈ great-circle × ``detour_factor``."""

    detour_factor: float = 1.3
    speed_kmh: float = 40.0

    def matrix(self, points: Sequence[Location]) -> TravelMatrix:
        lat = np.array([p.lat for p in points], dtype=float)
        lon = np.array([p.lon for p in points], dtype=float)
        metres = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        metres = metres * self.detour_factor
        seconds = metres / (self.speed_kmh / 3.6)
        return TravelMatrix(np.rint(seconds).astype(np.int64), np.rint(metres).astype(np.int64))

    def geometry(self, points: Sequence[Location]) -> list[tuple[float, float]]:
        return _straight(points)


@dataclass(frozen=True)
class PlanarProvider:
    """Euclidean on (lon=x, lat=y), truncated: ``floor(scale · e)`` for time and distance alike.

    This is the DIMACS VRPTW convention with ``scale=10`` (one decimal, kept as integers).
    """

    scale: int = 10

    def matrix(self, points: Sequence[Location]) -> TravelMatrix:
        x = np.array([p.lon for p in points], dtype=float)
        y = np.array([p.lat for p in points], dtype=float)
        e = np.sqrt((x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2)
        d = np.floor(self.scale * e).astype(np.int64)
        return TravelMatrix(d, d.copy())

    def geometry(self, points: Sequence[Location]) -> list[tuple[float, float]]:
        return _straight(points)


class OsrmError(RuntimeError):
    """OSRM could not be reached or refused a request; the message says which and why."""


@dataclass(frozen=True)
class OsrmProvider:
    """OSRM's table service (``/table/v1``) for deployments that run OSRM.

    ``base_url`` like ``http://osrm:5000``. Route geometry comes from ``/route/v1``; if that
    fails the geometry falls back to straight lines rather than failing the plan. A matrix
    that OSRM cannot give raises ``OsrmError``.
    """

    base_url: str
    profile: str = "driving"
    timeout_s: float = 30.0

    # osrm-routed refuses tables over --max-table-size coordinates (100 by default): larger
    # matrices are assembled from blocks of sources × destinations within that size.
    max_table_size: int = 100

    def _get(self, service: str, points: Sequence[Location], query: str) -> dict[str, object]:
        coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in points)
        url = f"{self.base_url.rstrip('/')}/{service}/v1/{self.profile}/{coords}?{query}"
        where = f"OSRM {service} at {self.base_url}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:
            # osrm-routed answers its refusals (TooBig, NoSegment, InvalidQuery…) with a 400
            # and a JSON body naming the reason: that body is the useful part of the error.
            raw = error.read()
            if _osrm_body(raw) is None:
                raise OsrmError(f"{where} answered HTTP {error.code} {error.reason}") from error
        except (OSError, http.client.HTTPException) as error:  # refused, timed out, cut off
            raise OsrmError(f"{where} failed: {error!r}") from error
        body = _osrm_body(raw)
        if body is None:
            raise OsrmError(f"{where} answered something that is not OSRM's JSON")
        if body.get("code") != "Ok":
            raise OsrmError(f"{where} answered {body.get('code')}: {body.get('message')}")
        return body

    def matrix(self, points: Sequence[Location]) -> TravelMatrix:
        n = len(points)
        query = "annotations=duration,distance"
        if n <= self.max_table_size:
            body = self._get("table", points, query)
            return TravelMatrix(
                _osrm_table(body, "durations", n, n), _osrm_table(body, "distances", n, n)
            )
        duration = np.full((n, n), UNREACHABLE, dtype=np.int64)
        distance = np.full((n, n), UNREACHABLE, dtype=np.int64)
        block = max(1, self.max_table_size // 2)
        for a in range(0, n, block):
            for b in range(0, n, block):
                src = list(range(a, min(a + block, n)))
                dst = list(range(b, min(b + block, n)))
                subset = src if a == b else src + dst
                at = {p: i for i, p in enumerate(subset)}
                sources = ";".join(str(at[i]) for i in src)
                targets = ";".join(str(at[j]) for j in dst)
                body = self._get(
                    "table",
                    [points[i] for i in subset],
                    f"{query}&sources={sources}&destinations={targets}",
                )
                shape = len(src), len(dst)
                duration[np.ix_(src, dst)] = _osrm_table(body, "durations", *shape)
                distance[np.ix_(src, dst)] = _osrm_table(body, "distances", *shape)
        return TravelMatrix(duration, distance)

    def geometry(self, points: Sequence[Location]) -> list[tuple[float, float]]:
        if len(points) < 2:
            return _straight(points)
        try:
            body = self._get("route", points, "overview=full&geometries=geojson")
            routes = body["routes"]
            assert isinstance(routes, list)
            coords = routes[0]["geometry"]["coordinates"]
            return [(float(lat), float(lon)) for lon, lat in coords]
        except (OSError, RuntimeError, KeyError, IndexError, AssertionError, ValueError):
            return _straight(points)


def _osrm_body(raw: bytes) -> dict[str, object] | None:
    """OSRM's JSON answer (an object with a ``code``), or None for anything else."""
    try:
        body = json.loads(raw)
    except ValueError:  # also UnicodeDecodeError
        return None
    return body if isinstance(body, dict) and "code" in body else None


def _osrm_table(body: dict[str, object], key: str, rows: int, cols: int) -> np.ndarray:
    """One table of OSRM's answer as integers; null (no route between the pair) becomes
    UNREACHABLE. An answer of another shape is an error, not a matrix."""
    table = body.get(key)
    if not (
        isinstance(table, list)
        and len(table) == rows
        and all(isinstance(row, list) and len(row) == cols for row in table)
    ):
        raise OsrmError(f"OSRM table answered without {rows}×{cols} {key}")
    values = np.array(
        [[math.nan if v is None else float(v) for v in row] for row in table], dtype=float
    ).reshape(rows, cols)
    out = np.full((rows, cols), UNREACHABLE, dtype=np.int64)
    ok = ~np.isnan(values)
    out[ok] = np.rint(values[ok]).astype(np.int64)
    return out


DEFAULT_PROVIDER = GreatCircleProvider()

# Matrices are the slow part for road and OSRM providers, and a planner re-solves the same
# region many times while tweaking: keep the last few, keyed by provider and exact points.
_CACHE_SIZE = 8
_cache: OrderedDict[tuple[object, tuple[Location, ...]], TravelMatrix] = OrderedDict()


def travel_matrix(provider: Provider, points: Sequence[Location]) -> TravelMatrix:
    key = (provider, tuple(points))
    try:
        hash(key)
    except TypeError:  # a caller's own provider need not be hashable: just don't cache
        return provider.matrix(points)
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        return hit
    result = (
        provider.matrix(points)
        if points
        else TravelMatrix(np.zeros((0, 0), np.int64), np.zeros((0, 0), np.int64))
    )
    _cache[key] = result
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return result
