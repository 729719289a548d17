"""Region outlines and territory polygons coloured per rep (GeoJSON layers with tooltips)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium

from maps.data import RegionShape, TerritoryShape
from maps.markup import Gettext, esc
from maps.style import NO_REP_COLOR, REGION_COLOR, status_labels


def region_layer(regions: Sequence[RegionShape], _: Gettext) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=esc(_("Regions")), show=True)
    features = [
        {"type": "Feature", "geometry": dict(r.geojson), "properties": {"name": esc(r.name)}}
        for r in regions
    ]
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda _f: {"color": REGION_COLOR, "weight": 3, "fill": False},
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=[esc(_("Region"))]),
        ).add_to(group)
    return group


def territory_layer(
    territories: Sequence[TerritoryShape], colors: Mapping[str, str], _: Gettext
) -> folium.FeatureGroup:
    labels = status_labels(_)
    features = []
    for t in territories:
        counts = ", ".join(
            f"{labels.get(key, key)}: {n}" for key, n in sorted(t.account_counts.items())
        )
        color = colors.get(t.rep or "", NO_REP_COLOR)
        props = {
            "name": esc(t.name),
            "rep": esc(t.rep or _("No rep")),
            "region": esc(t.region or ""),
            "counts": esc(counts or "0"),
            "color": color,
        }
        features.append({"type": "Feature", "geometry": dict(t.geojson), "properties": props})
    group = folium.FeatureGroup(name=esc(_("Territories")), show=True)
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda f: {
                "color": f["properties"]["color"],
                "fillColor": f["properties"]["color"],
                "weight": 2,
                "fillOpacity": 0.15,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "rep", "counts"],
                aliases=[esc(_("Territory")), esc(_("Rep")), esc(_("Accounts"))],
            ),
        ).add_to(group)
    return group
