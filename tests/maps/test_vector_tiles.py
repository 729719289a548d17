"""Vector tiles as a map's base layer (maps/tiles.py): drawn by protomaps-leaflet, served
by us, with the attribution, and no URL but the tile URL and our static files."""

from __future__ import annotations

import re

from maps import RouteLine, RouteStop, TerritoryMapData, page_html, route_map, territory_map
from tests.maps.conftest import ATTRIBUTION, STATIC_URL, make_accounts

VECTOR_URL = "http://127.0.0.1:8000/tiles/{z}/{x}/{y}.mvt"
KW = {"static_url": STATIC_URL, "tile_url": VECTOR_URL, "tile_attribution": ATTRIBUTION,
      "vector_tiles": True}  # fmt: skip


def test_both_builders_draw_vector_tiles_with_protomaps_leaflet_from_our_static_files():
    routes = [
        RouteLine(rep="r", stops=[RouteStop(seq=1, name="A", lat=42.5, lng=1.52, eta="09:00")])
    ]
    for m in (territory_map(TerritoryMapData(accounts=make_accounts(5)), **KW),
              route_map(routes, **KW)):  # fmt: skip
        page = page_html(m, nonce="abc")
        assert f'src="{STATIC_URL}vendor/protomaps-leaflet/protomaps-leaflet.js"' in page
        assert "protomapsL.leafletLayer(" in page and '"maxDataZoom":14' in page
        assert ATTRIBUTION.replace("©", "\\u00a9") in page or ATTRIBUTION in page
        assert "L.tileLayer(" not in page
        assert set(re.findall(r"https?://[^\s\"'`)<>\\]+", page)) == {VECTOR_URL}


def test_raster_tiles_stay_the_default_of_the_builders():
    page = page_html(territory_map(TerritoryMapData(accounts=make_accounts(5)),
                                   **{**KW, "vector_tiles": False}), nonce="abc")  # fmt: skip
    assert "L.tileLayer(" in page and "protomapsL" not in page
