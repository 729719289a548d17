"""Road network travel times from a compact graph derived once from an OpenStreetMap extract.

    python -m routing.roads build andorra.osm.pbf fieldcrm/data/roads/andorra.npz

``build`` keeps drivable ways only (osmium reads the .pbf), turns them into a directed graph
with metres and free-flow seconds per edge, keeps the largest strongly connected component (so
every kept node reaches every other: islands are cut at build time) and saves CSR arrays in a
compressed .npz. At run time ``RoadProvider`` snaps points to the nearest node (scipy cKDTree)
and runs Dijkstra (scipy.sparse.csgraph) from each point. Points farther than ``max_snap_m``
from any road are unreachable; the planner drops their visits with that reason.

Data © OpenStreetMap contributors, ODbL 1.0 (see fieldcrm/data/roads/ATTRIBUTION.md).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from routing.matrix import haversine_m
from routing.model import UNREACHABLE, Location, TravelMatrix

# Free-flow speeds (km/h) by highway class where a way has no usable maxspeed.
SPEED_KMH = {
    "motorway": 100, "motorway_link": 60, "trunk": 80, "trunk_link": 50,
    "primary": 65, "primary_link": 45, "secondary": 55, "secondary_link": 40,
    "tertiary": 45, "tertiary_link": 35, "unclassified": 35, "residential": 30,
    "living_street": 10, "service": 15, "road": 30,
}  # fmt: skip
NO_ACCESS = {"no", "private"}
SKIP_SERVICE = {"parking_aisle", "driveway", "drive-through", "emergency_access"}
DEG_E7 = 10_000_000
KEEP_PREDECESSORS = 40_000_000  # int32 entries (160 MB) of shortest-path trees kept for drawing
# One Dijkstra gives both the fastest time and the metres along that path: each edge weight is
# an integer (1/16 s units) · 2**24 + metres, exact in float64 while a path stays under
# 2**29 units (9 h) and 2**24 m (16,000 km). Ties in time are broken by distance for free.
TICKS_PER_S = 16
METRE_BITS = 2**24


def pack(seconds: np.ndarray, metres: np.ndarray) -> np.ndarray:
    # At least one tick: Dijkstra treats explicit zeros as missing edges.
    ticks = np.maximum(np.rint(np.asarray(seconds, dtype=float) * TICKS_PER_S), 1)
    return np.asarray(ticks * METRE_BITS + np.rint(np.asarray(metres, dtype=float)), dtype=float)


def unpack(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    finite = np.isfinite(weights)
    w = np.where(finite, weights, 0.0)
    ticks = np.floor(w / METRE_BITS)
    seconds = np.where(finite, ticks / TICKS_PER_S, np.inf)
    metres = np.where(finite, w - ticks * METRE_BITS, np.inf)
    return seconds, metres


@dataclass(frozen=True, eq=False)
class RoadGraph:
    lat: np.ndarray  # float64 degrees, per node
    lon: np.ndarray
    weights: csr_matrix  # directed; seconds and metres packed in one exact number, see pack()
    tree: cKDTree = field(repr=False)

    @classmethod
    def from_arrays(
        cls, lat: np.ndarray, lon: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
        seconds: np.ndarray, metres: np.ndarray,
    ) -> RoadGraph:  # fmt: skip
        n = len(lat)
        lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
        weights = csr_matrix((pack(seconds, metres), indices, indptr), shape=(n, n))
        return cls(lat, lon, weights, cKDTree(_unit_vectors(lat, lon)))

    @classmethod
    def load(cls, path: str | Path) -> RoadGraph:
        with np.load(path) as z:
            return cls.from_arrays(
                z["lat_e7"] / DEG_E7, z["lon_e7"] / DEG_E7, z["indptr"], z["indices"],
                z["seconds"], z["metres"],
            )  # fmt: skip

    def snap(self, points: Sequence[Location]) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node per point and the straight-line metres to it."""
        lat = np.array([p.lat for p in points], dtype=float)
        lon = np.array([p.lon for p in points], dtype=float)
        _, nodes = self.tree.query(_unit_vectors(lat, lon))
        nodes = np.asarray(nodes, dtype=np.int64)
        return nodes, haversine_m(lat, lon, self.lat[nodes], self.lon[nodes])


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    p, l_ = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(p) * np.cos(l_), np.cos(p) * np.sin(l_), np.sin(p)]).astype(
        float
    )


@dataclass(frozen=True, eq=False)
class RoadProvider:
    """Shortest (fastest) paths on a ``RoadGraph``.

    The walk between a point and its snapped node is charged at ``access_speed_kmh`` (a car
    park, a drive): small, but it keeps two points on the same node distinct.
    """

    graph: RoadGraph
    max_snap_m: float = 1000.0
    access_speed_kmh: float = 15.0
    _paths: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def matrix(self, points: Sequence[Location]) -> TravelMatrix:
        nodes, snap_m = self.graph.snap(points)
        sources, inverse = np.unique(nodes, return_inverse=True)
        times, metres = self._from(sources)
        sec, met = times[np.ix_(inverse, inverse)], metres[np.ix_(inverse, inverse)]
        access = snap_m / (self.access_speed_kmh / 3.6)
        sec = sec + access[:, None] + access[None, :]
        met = met + snap_m[:, None] + snap_m[None, :]
        far = snap_m > self.max_snap_m
        bad = ~np.isfinite(sec) | far[:, None] | far[None, :]
        duration = np.where(bad, UNREACHABLE, np.rint(np.where(bad, 0, sec))).astype(np.int64)
        distance = np.where(bad, UNREACHABLE, np.rint(np.where(bad, 0, met))).astype(np.int64)
        np.fill_diagonal(duration, 0)
        np.fill_diagonal(distance, 0)
        return TravelMatrix(duration, distance)

    def _from(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Seconds and metres (along the fastest path) from each source to each source."""
        n = len(self.graph.lat)
        if len(sources) * n <= KEEP_PREDECESSORS:
            # Keep the trees: drawing the chosen routes then needs no second Dijkstra.
            packed, pred = dijkstra(self.graph.weights, indices=sources, return_predecessors=True)
            self._paths.clear()
            self._paths.update(zip(sources.tolist(), pred, strict=True))
        else:
            packed = dijkstra(self.graph.weights, indices=sources)
        return unpack(packed[:, sources])

    def geometry(self, points: Sequence[Location]) -> list[tuple[float, float]]:
        nodes, snap_m = self.graph.snap(points)
        out: list[tuple[float, float]] = [(points[0].lat, points[0].lon)] if points else []
        for i in range(1, len(points)):
            a, b = int(nodes[i - 1]), int(nodes[i])
            if snap_m[i - 1] <= self.max_snap_m and snap_m[i] <= self.max_snap_m:
                out.extend(
                    (float(self.graph.lat[x]), float(self.graph.lon[x])) for x in self._path(a, b)
                )
            out.append((points[i].lat, points[i].lon))
        return out

    def _path(self, a: int, b: int) -> list[int]:
        if a not in self._paths:
            if len(self._paths) > 1024:
                self._paths.clear()
            # A 0-d index array, as scipy makes of an int: one tree, shape (n,).
            _, pred = dijkstra(self.graph.weights, indices=np.asarray(a), return_predecessors=True)
            self._paths[a] = pred
        pred = self._paths[a]
        path = [b]
        while path[-1] != a and pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        return path[::-1] if path[-1] == a else []


@functools.lru_cache(maxsize=8)
def road_provider(path: str | Path, max_snap_m: float = 1000.0) -> RoadProvider:
    """The provider for a committed graph file, loaded once per process (it is ~50 ms)."""
    return RoadProvider(RoadGraph.load(path), max_snap_m=max_snap_m)


def _speed(tags: dict[str, str], highway: str) -> float:
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mph)?", tags.get("maxspeed", ""))
    if match:
        value = float(match.group(1)) * (1.609 if match.group(2) else 1.0)
        if 5 <= value <= 140:
            return value
    return float(SPEED_KMH[highway])


def build(pbf: Path, out: Path) -> dict[str, object]:
    import osmium

    ids: dict[int, int] = {}
    lat: list[float] = []
    lon: list[float] = []
    edges: list[tuple[int, int, float]] = []  # (u, v, km/h); lengths computed vectorised later

    def node(ref: int, loc: osmium.osm.Location) -> int:
        if ref not in ids:
            ids[ref] = len(lat)
            lat.append(loc.lat)
            lon.append(loc.lon)
        return ids[ref]

    class Ways(osmium.SimpleHandler):
        def way(self, w: osmium.osm.Way) -> None:
            tags = {t.k: t.v for t in w.tags}
            highway = tags.get("highway", "")
            if highway not in SPEED_KMH or tags.get("area") == "yes":
                return
            if tags.get("access") in NO_ACCESS:
                return
            if tags.get("motor_vehicle") in NO_ACCESS or tags.get("service") in SKIP_SERVICE:
                return
            oneway = tags.get("oneway", "")
            forward = oneway != "-1"
            backward = oneway in ("no", "-1") or (
                oneway not in ("yes", "true", "1")
                and highway != "motorway"
                and tags.get("junction") not in ("roundabout", "circular")
            )
            speed = _speed(tags, highway)
            prev = None
            for n in w.nodes:
                # Clipped extracts (Helsinki) reference nodes outside the box: cut the way there.
                if not n.location.valid():
                    prev = None
                    continue
                cur = node(n.ref, n.location)
                if prev is not None and prev != cur:
                    if forward:
                        edges.append((prev, cur, speed))
                    if backward:
                        edges.append((cur, prev, speed))
                prev = cur

    Ways().apply_file(str(pbf), locations=True)
    la, lo = np.array(lat), np.array(lon)
    e = np.array(edges, dtype=float)
    u, v, kmh = e[:, 0].astype(np.int64), e[:, 1].astype(np.int64), e[:, 2]
    metres = haversine_m(la[u], lo[u], la[v], lo[v])
    seconds = metres / (kmh / 3.6)

    # Keep the largest strongly connected component: a customer snapped to a one-way dead end
    # or a cut-off fragment of a clipped extract would otherwise be unreachable.
    n_all = len(la)
    graph = csr_matrix((np.ones(len(u)), (u, v)), shape=(n_all, n_all))
    _, labels = connected_components(graph, directed=True, connection="strong")
    keep_label = np.bincount(labels).argmax()
    keep = labels == keep_label
    new_id = np.cumsum(keep) - 1
    ok = keep[u] & keep[v]
    u, v, seconds, metres = new_id[u[ok]], new_id[v[ok]], seconds[ok], metres[ok]
    la, lo = la[keep], lo[keep]
    n = len(la)

    # Parallel edges: keep the fastest, so the path's metres are unambiguous.
    order = np.lexsort((seconds, v, u))
    u, v, seconds, metres = u[order], v[order], seconds[order], metres[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, seconds, metres = u[first], v[first], seconds[first], metres[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, u + 1, 1)
    indptr = np.cumsum(indptr)

    digest = hashlib.sha256(pbf.read_bytes()).hexdigest()
    meta = {
        "source": pbf.name,
        "source_sha256": digest,
        "nodes": int(n),
        "edges": int(len(u)),
        "dropped_nodes_outside_largest_scc": int(n_all - n),
        "km": round(float(metres.sum()) / 1000, 1),
        "licence": "ODbL 1.0, © OpenStreetMap contributors",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        lat_e7=np.rint(la * DEG_E7).astype(np.int32),
        lon_e7=np.rint(lo * DEG_E7).astype(np.int32),
        indptr=indptr.astype(np.int32),
        indices=v.astype(np.int32),
        seconds=seconds.astype(np.float32),
        metres=metres.astype(np.float32),
        meta=np.array(json.dumps(meta)),
    )
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m routing.roads")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="derive a compact road graph (.npz) from an .osm.pbf")
    b.add_argument("pbf", type=Path)
    b.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    meta = build(args.pbf, args.out)
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
