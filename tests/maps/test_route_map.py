from __future__ import annotations

import re

import folium

from maps import RouteLine, RouteStop, UnassignedVisit, rep_colors, route_map
from tests.maps.conftest import STATIC_URL, TILE_URL

URL = re.compile(r"https?://[^\s\"'`)<>\\]+")


def walk(element):
    yield element
    for child in element._children.values():
        yield from walk(child)


def routes() -> list[RouteLine]:
    ann = RouteLine(
        rep="ann",
        # Given out of order on purpose: numbering follows seq, not list order.
        stops=[
            RouteStop(2, "Bakery", 48.86, 2.35, "09:40"),
            RouteStop(1, "Pharmacy", 48.85, 2.34, "09:05"),
        ],  # fmt: skip
        path=[(48.85, 2.34), (48.855, 2.345), (48.86, 2.35)],
    )
    bob = RouteLine(
        rep="bob", color="#123456",
        stops=[RouteStop(1, "Café", 48.80, 2.30, "10:00"), RouteStop(2, "Shop", 48.81, 2.31)],
    )  # fmt: skip
    return [ann, bob]


def unassigned() -> list[UnassignedVisit]:
    return [UnassignedVisit("Garage", 48.9, 2.4, reason="outside every time window")]


def groups(m: folium.Map) -> dict[str, folium.FeatureGroup]:
    return {e.layer_name: e for e in walk(m) if isinstance(e, folium.FeatureGroup)}


def test_one_layer_per_rep_and_unassigned_apart(map_kw):
    m = route_map(routes(), unassigned(), **map_kw)
    layers = groups(m)
    assert set(layers) == {"ann", "bob", "Unassigned visits (1)"}
    stray = [e for e in walk(layers["Unassigned visits (1)"]) if isinstance(e, folium.Marker)]
    assert len(stray) == 1
    page = m.get_root().render()
    assert "outside every time window" in page and "fieldcrm-unassigned" in page


def test_stops_are_numbered_by_seq_with_eta_in_popup(map_kw):
    m = route_map(routes(), **map_kw)
    ann = groups(m)["ann"]
    markers = [e for e in ann._children.values() if isinstance(e, folium.Marker)]
    assert [mk.location for mk in markers] == [[48.85, 2.34], [48.86, 2.35]]
    icons = [e for e in walk(ann) if isinstance(e, folium.DivIcon)]
    assert [re.search(r">(\d+)</div>", i.options["html"]).group(1) for i in icons] == ["1", "2"]
    page = m.get_root().render()
    assert "1. Pharmacy" in page and "ETA: 09:05" in page and "ETA: 09:40" in page
    # A stop without an ETA gets no empty ETA line.
    assert page.count("ETA:") == 3


def test_colour_per_rep_and_override(map_kw):
    m = route_map(routes(), **map_kw)
    lines = {g: [e for e in layer._children.values() if isinstance(e, folium.PolyLine)]
             for g, layer in groups(m).items()}  # fmt: skip
    assert lines["ann"][0].options["color"] == rep_colors(["ann", "bob"])["ann"]
    assert lines["bob"][0].options["color"] == "#123456"
    assert len(lines["ann"][0].locations) == 3  # the road path, not the straight stops


def test_route_map_has_no_url_but_the_tiles(map_kw):
    page = route_map(routes(), unassigned(), **map_kw).get_root().render()
    assert set(URL.findall(page)) - {TILE_URL} == set()
    for ref in re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', page):
        assert ref.startswith(STATIC_URL + "vendor/"), ref


def test_route_map_without_unassigned_has_no_such_layer(map_kw):
    assert not any(name.startswith("Unassigned") for name in groups(route_map(routes(), **map_kw)))
