"""Travel-time providers: great-circle, the committed road graphs, OSRM (against a local stub)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest

from routing import (
    DropReason,
    GreatCircleProvider,
    Location,
    OsrmProvider,
    Problem,
    Stop,
    TimeWindow,
    Vehicle,
    solve,
)
from routing.matrix import haversine_m, travel_matrix
from routing.model import UNREACHABLE
from routing.roads import RoadGraph, RoadProvider, build, pack, road_provider, unpack

ROADS = Path(__file__).resolve().parents[2] / "fieldcrm" / "data" / "roads"
H = 3600


def test_great_circle_is_symmetric_and_scaled_by_detour_and_speed():
    a, b = Location(60.0, 24.0), Location(61.0, 24.0)
    m = GreatCircleProvider(detour_factor=1.5, speed_kmh=36.0).matrix([a, b])
    one_degree = 111_195
    assert abs(m.distance_m[0, 1] - 1.5 * one_degree) <= 2
    assert abs(m.duration_s[0, 1] - 1.5 * one_degree / 10) <= 1
    assert (m.distance_m == m.distance_m.T).all() and m.distance_m[0, 0] == 0


def test_matrices_are_computed_once_per_set_of_points():
    calls = []

    class Counting(GreatCircleProvider):
        def matrix(self, points):
            calls.append(len(points))
            return super().matrix(points)

    provider = Counting()
    points = [Location(60.0, 24.0), Location(60.1, 24.1)]
    first = travel_matrix(provider, points)
    assert travel_matrix(provider, list(points)) is first
    assert calls == [2]


def test_packed_edge_weights_round_trip_exactly():
    seconds, metres = np.array([0.0, 1.5, 3600.25]), np.array([0.0, 12.0, 99_999.0])
    back_s, back_m = unpack(pack(seconds, metres).cumsum())
    assert back_m.tolist() == [0.0, 12.0, 100_011.0]
    assert back_s.tolist() == [1 / 16, 1 / 16 + 1.5, 1 / 16 + 1.5 + 3600.25]


@pytest.mark.parametrize("name", ["andorra", "helsinki"])
def test_committed_road_graphs_are_compact_and_drive_along_roads(name):
    path = ROADS / f"{name}.npz"
    assert path.stat().st_size < 3_000_000
    graph = RoadGraph.load(path)
    i, j = 0, len(graph.lat) // 2
    a = Location(float(graph.lat[i]), float(graph.lon[i]))
    b = Location(float(graph.lat[j]), float(graph.lon[j]))
    provider = RoadProvider(graph)
    m = provider.matrix([a, b])
    straight = float(
        haversine_m(np.array(a.lat), np.array(a.lon), np.array(b.lat), np.array(b.lon))
    )
    # The largest strongly connected component only: every node reaches every other.
    assert 0 < m.duration_s[0, 1] < UNREACHABLE and 0 < m.duration_s[1, 0] < UNREACHABLE
    assert m.distance_m[0, 1] >= straight - 1
    geometry = provider.geometry([a, b])
    assert geometry[0] == (a.lat, a.lon) and geometry[-1] == (b.lat, b.lon) and len(geometry) > 2


def test_a_plan_on_helsinki_roads_follows_the_streets(plan_check):
    provider = road_provider(ROADS / "helsinki.npz")
    office = Location(60.1699, 24.9384)
    shops = [(60.1675, 24.9425), (60.1718, 24.9440), (60.1655, 24.9390), (60.1745, 24.9410)]
    stops = tuple(Stop(f"shop{i}", Location(*p), service_s=900) for i, p in enumerate(shops))
    stops += (Stop("tallinn", Location(59.437, 24.7536), service_s=900),)  # off the map
    rep = Vehicle("r1", start=office, shift=TimeWindow(9 * H, 17 * H))
    problem = Problem(vehicles=(rep,), stops=stops, provider=provider)
    solution = solve(problem, time_limit_s=1.0)
    plan_check(problem, solution)
    assert {d.stop_id: d.reason for d in solution.dropped} == {"tallinn": DropReason.UNREACHABLE}
    route = solution.routes[0]
    assert len(route.visits) == 4
    assert len(route.geometry) > 2 + 4 * 2  # real street nodes, not just the stops


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
 <node id="1" version="1" lat="60.000" lon="24.000"/>
 <node id="2" version="1" lat="60.000" lon="24.010"/>
 <node id="3" version="1" lat="60.010" lon="24.010"/>
 <node id="4" version="1" lat="60.010" lon="24.000"/>
 <node id="5" version="1" lat="61.000" lon="25.000"/>
 <node id="6" version="1" lat="61.000" lon="25.010"/>
 <node id="7" version="1" lat="60.005" lon="24.005"/>
 <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
  <tag k="highway" v="residential"/></way>
 <way id="11" version="1"><nd ref="3"/><nd ref="4"/><nd ref="1"/>
  <tag k="highway" v="primary"/><tag k="oneway" v="yes"/><tag k="maxspeed" v="80"/></way>
 <way id="12" version="1"><nd ref="5"/><nd ref="6"/><tag k="highway" v="tertiary"/></way>
 <way id="13" version="1"><nd ref="1"/><nd ref="7"/><tag k="highway" v="footway"/></way>
</osm>
"""


def test_build_keeps_drivable_ways_of_the_largest_component_and_one_way_streets(tmp_path):
    source = tmp_path / "tiny.osm"
    source.write_text(OSM_XML)
    meta = build(source, tmp_path / "tiny.npz")
    assert meta["nodes"] == 4  # the far-away pair is an island; the footway is not drivable
    graph = RoadGraph.load(tmp_path / "tiny.npz")
    provider = RoadProvider(graph, max_snap_m=50)
    corner_1, corner_4 = Location(60.0, 24.0), Location(60.01, 24.0)
    m = provider.matrix([corner_1, corner_4])
    # 4 → 1 is one primary hop; 1 → 4 must go round by the residential street and the primary.
    assert m.distance_m[1, 0] < m.distance_m[0, 1]


ISLAND_LAT = 60.2  # the stub has no route to or from points at this latitude


class _Osrm(BaseHTTPRequestHandler):
    """A stand-in for osrm-routed: times and distances from the coordinates themselves."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path, _, query = self.path.partition("?")
        coords = [tuple(map(float, c.split(","))) for c in path.split("/")[4].split(";")]
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        if path.startswith("/table/v1/driving/"):
            every = list(range(len(coords)))
            src = [int(i) for i in params["sources"].split(";")] if "sources" in params else every
            dst = (
                [int(i) for i in params["destinations"].split(";")]
                if "destinations" in params
                else every
            )

            def cell(i: int, j: int, scale: float) -> float | None:
                (lon_a, lat_a), (lon_b, lat_b) = coords[i], coords[j]
                if i != j and (lat_a == ISLAND_LAT) != (lat_b == ISLAND_LAT):
                    return None
                return scale * (abs(lat_a - lat_b) + abs(lon_a - lon_b))

            body = {
                "code": "Ok",
                "durations": [[cell(i, j, 1000.0) for j in dst] for i in src],
                "distances": [[cell(i, j, 10_000.0) for j in dst] for i in src],
            }
        elif path.startswith("/route/v1/driving/"):
            line = [list(c) for c in coords]
            line.insert(1, [24.5, 60.5])
            body = {"code": "Ok", "routes": [{"geometry": {"coordinates": line}}]}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def osrm_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Osrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_osrm_table_becomes_a_matrix_with_unreachable_pairs(osrm_url):
    points = [Location(60.0, 24.0), Location(60.1, 24.1), Location(ISLAND_LAT, 24.2)]
    m = OsrmProvider(osrm_url).matrix(points)
    assert m.duration_s[0, 1] == 200 and m.distance_m[1, 0] == 2000
    assert m.duration_s[0, 2] == UNREACHABLE and m.distance_m[2, 1] == UNREACHABLE


def test_osrm_tables_larger_than_its_limit_are_assembled_from_blocks(osrm_url):
    points = [Location(60.0 + 0.01 * i, 24.0 + 0.003 * i) for i in range(9)]
    points.append(Location(ISLAND_LAT, 24.0))
    whole = OsrmProvider(osrm_url, max_table_size=100).matrix(points)
    blocks = OsrmProvider(osrm_url, max_table_size=4).matrix(points)
    assert (whole.duration_s == blocks.duration_s).all()
    assert (whole.distance_m == blocks.distance_m).all()
    assert blocks.duration_s[9, 0] == UNREACHABLE and blocks.duration_s[3, 7] > 0


def test_a_plan_through_osrm_drops_what_it_cannot_route_and_draws_its_path(osrm_url):
    home = Location(60.0, 24.0)
    stops = (
        Stop("a", Location(60.1, 24.1), service_s=60),
        Stop("b", Location(ISLAND_LAT, 24.2), service_s=60),
    )
    rep = Vehicle("r1", start=home, shift=TimeWindow(8 * H, 17 * H))
    problem = Problem(vehicles=(rep,), stops=stops, provider=OsrmProvider(osrm_url))
    solution = solve(problem, time_limit_s=1.0)
    assert [(d.stop_id, d.reason) for d in solution.dropped] == [("b", DropReason.UNREACHABLE)]
    assert [v.stop_id for v in solution.routes[0].visits] == ["a"]
    assert (60.5, 24.5) in solution.routes[0].geometry


def test_osrm_geometry_falls_back_to_straight_lines_when_the_server_is_down():
    provider = OsrmProvider("http://127.0.0.1:9", timeout_s=0.5)
    points = [Location(60.0, 24.0), Location(60.1, 24.1)]
    assert provider.geometry(points) == [(60.0, 24.0), (60.1, 24.1)]
