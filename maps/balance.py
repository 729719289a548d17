"""The balanced-territories map: today's territories and a proposed cut as two layers of one
map (toggled in the layer control, explained in the legend), coloured per rep alike, so each
rep's territory can be compared where it was and where it would be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium

from maps.assets import LEAFLET_IMAGES, localize_assets
from maps.controls import DefaultIconPath, Legend
from maps.data import TerritoryShape
from maps.markup import Gettext, esc, identity
from maps.style import NO_REP_COLOR, rep_colors
from maps.tiles import add_base_layer

TODAY_COLOR = "#424242"


def _layer(
    name: str, territories: Sequence[TerritoryShape], colors: Mapping[str, str], *,
    dashed: bool, fill: float, labels: tuple[str, str],
) -> folium.FeatureGroup:  # fmt: skip
    group = folium.FeatureGroup(name=esc(name), show=True)
    features = []
    for t in territories:
        color = colors.get(t.rep or "", NO_REP_COLOR)
        props = {"name": esc(t.name), "rep": esc(t.rep or ""), "color": color}
        features.append({"type": "Feature", "geometry": dict(t.geojson), "properties": props})
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda f: {
                "color": f["properties"]["color"] if not dashed else TODAY_COLOR,
                "fillColor": f["properties"]["color"],
                "weight": 3 if dashed else 2,
                "dashArray": "6 6" if dashed else None,
                "fillOpacity": fill,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "rep"], aliases=[esc(label) for label in labels]
            ),
        ).add_to(group)
    return group


def _positions(coords: Any) -> list[tuple[float, float]]:
    """Every (lng, lat) of a GeoJSON coordinates array, walked in plain Python: this map is
    built in the Django process, where shapely shares the process with SpatiaLite's GEOS."""
    if not coords:
        return []
    if isinstance(coords[0], int | float):
        return [(float(coords[0]), float(coords[1]))]
    return [p for part in coords for p in _positions(part)]


def balance_map(
    today: Sequence[TerritoryShape],
    proposed: Sequence[TerritoryShape],
    *,
    static_url: str,
    tile_url: str,
    tile_attribution: str,
    vector_tiles: bool = False,
    gettext: Gettext = identity,
) -> folium.Map:
    """Today's territories (dashed outlines) under the proposal (filled), one colour per rep
    in both; each layer can be switched off in the layer control."""
    _ = gettext
    m = folium.Map(location=None, zoom_start=2, tiles=None, prefer_canvas=True,
                   control_scale=True)  # fmt: skip
    add_base_layer(m, tile_url=tile_url, tile_attribution=tile_attribution, name=_("Map"),
                   vector=vector_tiles)  # fmt: skip
    DefaultIconPath(static_url + LEAFLET_IMAGES).add_to(m)
    colors = rep_colors([t.rep for t in [*today, *proposed]])
    labels = (_("Territory"), _("Rep"))
    _layer(_("Proposed territories"), proposed, colors, dashed=False, fill=0.3,
           labels=labels).add_to(m)  # fmt: skip
    _layer(_("Territories today"), today, colors, dashed=True, fill=0.0,
           labels=labels).add_to(m)  # fmt: skip
    folium.LayerControl(collapsed=False).add_to(m)
    Legend([
        (_("Layers"), [(_("Territories today (dashed outline)"), TODAY_COLOR),
                       (_("Proposed territories (filled)"), "#0b6e4f")]),
        (_("Reps"), list(colors.items())),
    ]).add_to(m)  # fmt: skip
    points = [p for t in [*today, *proposed] for p in _positions(t.geojson.get("coordinates"))]
    if points:
        lngs, lats = [p[0] for p in points], [p[1] for p in points]
        m.fit_bounds([[min(lats), min(lngs)], [max(lats), max(lngs)]], padding=(20, 20))
    return localize_assets(m, static_url)
