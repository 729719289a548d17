"""The base layer of every map: raster tiles (`L.tileLayer`) or vector tiles drawn in the
browser by protomaps-leaflet (the app's own tiles, see FieldCRM's fieldcrm/core/tiles.py).

Vector tiles use protomaps-leaflet's built-in "light" style, which reads the Protomaps basemap
layer names (earth, landuse, water, roads, buildings, places) the tiles are built with.
"""

from __future__ import annotations

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from maps.markup import js_json

# Our tiles carry no land ("earth") polygons, so land is the background: the "light" style's
# earth colour, instead of its background (sea) grey.
LAND_COLOR = "#e2dfda"
PROTOMAPS_JS = [("protomaps_leaflet", "vendor/protomaps-leaflet/protomaps-leaflet.js")]


class VectorTiles(JSCSSMixin, MacroElement):
    """A protomaps-leaflet layer of `{z}/{x}/{y}` vector tiles (MVT), with their attribution."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = protomapsL.leafletLayer({{ this.options }});"
        "{{ this.get_name() }}.backgroundColor = {{ this.land }};"
        "{{ this.get_name() }}.addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )
    default_js: list[tuple[str, str]] = []  # set by localize_assets (no CDN copy exists)

    def __init__(self, url: str, *, attribution: str, max_data_zoom: int) -> None:
        super().__init__()
        self._name = "VectorTiles"
        self.options = js_json({
            "url": url, "attribution": attribution, "flavor": "light",
            "maxDataZoom": max_data_zoom, "maxZoom": 19,
        })  # fmt: skip
        self.land = js_json(LAND_COLOR)


def add_base_layer(m: folium.Map, *, tile_url: str, tile_attribution: str, name: str,
                   vector: bool, max_data_zoom: int = 14) -> None:  # fmt: skip
    """The map's tiles: vector ones when `vector`, else raster."""
    if vector:
        m.add_child(VectorTiles(tile_url, attribution=tile_attribution,
                                max_data_zoom=max_data_zoom))  # fmt: skip
        return
    folium.TileLayer(tiles=tile_url, attr=tile_attribution, name=name, control=False,
                     max_zoom=19).add_to(m)  # fmt: skip
