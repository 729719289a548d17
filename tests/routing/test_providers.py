"""Travel-time providers: great-circle, the committed road graphs, OSRM (a local stand-in)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from routing import (
    DropReason,
    GreatCircleProvider,
    Location,
    OsrmError,
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
from tests.routing.osrm_standin import osrm_standin

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


ISLAND_LAT = 60.2  # the stand-in has no route to or from points at this latitude


def on_island(lat: float, lon: float) -> bool:
    return lat == ISLAND_LAT


@pytest.fixture
def osrm_url() -> Iterator[str]:
    with osrm_standin(island=on_island) as url:
        yield url


def test_osrm_table_becomes_a_matrix_with_unreachable_pairs(osrm_url):
    points = [Location(60.0, 24.0), Location(60.1, 24.1), Location(ISLAND_LAT, 24.2)]
    m = OsrmProvider(osrm_url).matrix(points)
    metres = float(haversine_m(np.array(60.0), np.array(24.0), np.array(60.1), np.array(24.1)))
    # The stand-in drives the great circle at 36 km/h (10 m/s), answering to 0.1 like OSRM.
    assert abs(m.distance_m[0, 1] - metres) <= 1 and abs(m.duration_s[1, 0] - metres / 10) <= 1
    assert m.duration_s[0, 0] == 0 and m.distance_m[1, 1] == 0
    assert m.duration_s[0, 2] == UNREACHABLE and m.distance_m[2, 1] == UNREACHABLE
    assert m.duration_s.dtype == np.int64 and m.distance_m.dtype == np.int64


def test_osrm_tables_larger_than_its_limit_are_assembled_from_blocks():
    points = [Location(60.0 + 0.01 * i, 24.0 + 0.003 * i) for i in range(9)]
    points.append(Location(ISLAND_LAT, 24.0))
    log: list[str] = []
    with osrm_standin(island=on_island, max_table_size=4, log=log) as url:
        blocks = OsrmProvider(url, max_table_size=4).matrix(points)
    with osrm_standin(island=on_island) as url:
        whole = OsrmProvider(url).matrix(points)
    assert (whole.duration_s == blocks.duration_s).all()
    assert (whole.distance_m == blocks.distance_m).all()
    assert blocks.duration_s[9, 0] == UNREACHABLE and blocks.duration_s[3, 7] > 0
    # Blocks of 2 × 2 over 10 points: 25 requests, none with more than 4 coordinates.
    assert len(log) == 25
    assert max(len(path.split("?")[0].split("/")[-1].split(";")) for path in log) == 4


def test_osrm_refusing_a_table_is_an_error_that_says_why():
    points = [Location(60.0 + 0.01 * i, 24.0) for i in range(5)]
    with osrm_standin(max_table_size=2) as url, pytest.raises(OsrmError) as refused:
        OsrmProvider(url, max_table_size=100).matrix(points)
    assert "OSRM table" in str(refused.value) and url in str(refused.value)
    assert "TooBig: Too many table coordinates" in str(refused.value)


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (503, {"error": "overloaded"}, "answered HTTP 503"),
        (200, {"code": "NoSegment", "message": "Could not find a matching segment"}, "NoSegment"),
        (200, {"code": "Ok", "durations": [[0.0]]}, "without 2×2 durations"),
    ],
)
def test_an_osrm_answer_that_is_no_table_is_a_clear_error(status, body, says):
    points = [Location(60.0, 24.0), Location(60.1, 24.1)]
    with osrm_standin(fail=(status, body)) as url, pytest.raises(OsrmError, match=says):
        OsrmProvider(url).matrix(points)


def test_an_osrm_server_that_is_down_is_a_clear_error():
    points = [Location(60.0, 24.0), Location(60.1, 24.1)]
    with pytest.raises(OsrmError, match=r"OSRM table at http://127\.0\.0\.1:9 failed"):
        OsrmProvider("http://127.0.0.1:9", timeout_s=0.5).matrix(points)


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
    # The stand-in's path runs through the middle of each leg: drawn by OSRM, not straight.
    assert (60.05, 24.05) in solution.routes[0].geometry


def test_osrm_geometry_falls_back_to_straight_lines_when_there_is_no_route(osrm_url):
    points = [Location(60.0, 24.0), Location(ISLAND_LAT, 24.2)]
    assert OsrmProvider(osrm_url).geometry(points) == [(60.0, 24.0), (ISLAND_LAT, 24.2)]


def test_osrm_geometry_falls_back_to_straight_lines_when_the_server_is_down():
    provider = OsrmProvider("http://127.0.0.1:9", timeout_s=0.5)
    points = [Location(60.0, 24.0), Location(60.1, 24.1)]
    assert provider.geometry(points) == [(60.0, 24.0), (60.1, 24.1)]
