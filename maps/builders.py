"""Public map builders: plain data in, a folium.Map out (`maps.standalone` makes it one file)."""

from __future__ import annotations

from collections.abc import Sequence

import folium
from branca.element import Element, Figure
from shapely.geometry import shape

from maps.assets import LEAFLET_IMAGES, localize_assets
from maps.clusters import AccountData, ClusterStyle, big_account_layers
from maps.controls import DefaultIconPath, Legend, LegendItem, draw_control
from maps.data import (
    STATUSES,
    RegionShape,
    RouteLine,
    TerritoryMapData,
    TerritoryShape,
    UnassignedVisit,
)
from maps.heat import heat_layer
from maps.markers import small_account_layers
from maps.markup import Gettext, esc, identity
from maps.routes import ROUTE_CSS, route_layer
from maps.style import (
    COVERAGE_CLASSES,
    COVERAGE_COLORS,
    NEUTRAL_RING,
    NO_REP_COLOR,
    REGION_COLOR,
    STATUS_COLORS,
    coverage_labels,
    rep_colors,
    status_labels,
)
from maps.territories import region_layer, territory_layer
from maps.tiles import add_base_layer

# Above this many accounts the shared-array path takes over from folium objects. STYLE.md
# suggests ~10k, but folium 0.20 renders each marker with its popup in ~0.6 ms and ~1.1 KB,
# and the coverage layer doubles that: 1,000 accounts already take ~1.3 s and 2.3 MB, while
# the shared-array path draws 100,000 in about the same time. Measured in bench/maps_territory.
FAST_CLUSTER_THRESHOLD = 1_000

Bounds = tuple[float, float, float, float]  # south, west, north, east


def _base_map(*, static_url: str, tile_url: str, tile_attribution: str, vector_tiles: bool,
              _: Gettext) -> folium.Map:  # fmt: skip
    # prefer_canvas: circle markers and polygons draw on one <canvas>, not one SVG node each.
    m = folium.Map(location=None, zoom_start=2, tiles=None, prefer_canvas=True,
                   control_scale=True)  # fmt: skip
    add_base_layer(m, tile_url=tile_url, tile_attribution=tile_attribution, name=_("Map"),
                   vector=vector_tiles)  # fmt: skip
    DefaultIconPath(static_url + LEAFLET_IMAGES).add_to(m)
    return m


def _merge(bounds: Bounds | None, other: Bounds) -> Bounds:
    if bounds is None:
        return other
    return (min(bounds[0], other[0]), min(bounds[1], other[1]),
            max(bounds[2], other[2]), max(bounds[3], other[3]))  # fmt: skip


def _points_bounds(points: Sequence[tuple[float, float]]) -> Bounds | None:
    if not points:
        return None
    lats = [p[0] for p in points]
    lngs = [p[1] for p in points]
    return (min(lats), min(lngs), max(lats), max(lngs))


def _fit(m: folium.Map, bounds: Bounds | None, home: Bounds | None) -> None:
    """Fit what the map shows, else `home` (the caller's area: the region, the tiles' extent),
    so a map never opens on the world, which offline is a blank canvas of failed tiles."""
    bounds = bounds or home
    if bounds is not None:
        m.fit_bounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], padding=(20, 20),
                     max_zoom=17)  # fmt: skip


def territory_map(
    data: TerritoryMapData,
    *,
    static_url: str,
    tile_url: str,
    tile_attribution: str,
    vector_tiles: bool = False,
    gettext: Gettext = identity,
    draw: bool = False,
    fast_threshold: int = FAST_CLUSTER_THRESHOLD,
    home: Bounds | None = None,
    direction: str = "ltr",
) -> folium.Map:
    """Regions and territories coloured per rep, accounts clustered by status, a coverage
    layer, a prospect heatmap, layer control, legend; optionally a draw control whose shape
    reaches the page through `window.fieldcrmOnDraw` / the `fieldcrm:draw` event. The view
    fits the accounts shown, else the regions and territories, else `home` (south, west,
    north, east)."""
    _ = gettext
    m = _base_map(static_url=static_url, tile_url=tile_url, tile_attribution=tile_attribution,
                  vector_tiles=vector_tiles, _=_)  # fmt: skip
    accounts = data.accounts
    colors = rep_colors([t.rep for t in data.territories] + [a.rep for a in accounts])
    bounds: Bounds | None = None

    if data.regions:
        region_layer(data.regions, _).add_to(m)
    if data.territories:
        territory_layer(data.territories, colors, _).add_to(m)
    shapes: list[RegionShape | TerritoryShape] = [*data.regions, *data.territories]
    for shp in shapes:
        west, south, east, north = shape(dict(shp.geojson)).bounds
        bounds = _merge(bounds, (south, west, north, east))
    shapes_bounds = bounds

    shared: AccountData | None = None
    ClusterStyle().add_to(m)  # before the layers whose icons it draws
    if len(accounts) > fast_threshold:
        shared = AccountData(accounts, _)
        shared.add_to(m)  # before the layers that read it
        layers = big_account_layers(shared, _)
    else:
        layers = small_account_layers(accounts, _)
    layers.append(heat_layer(accounts, shared, _))
    for layer in layers:
        layer.add_to(m)
    # The accounts decide the view: a region is often far larger than where its customers
    # are (Andorra's mountains); the shapes only when no account is shown.
    point_bounds = _points_bounds([(a.lat, a.lng) for a in accounts])
    bounds = point_bounds or shapes_bounds

    if draw:
        draw_control(m, _)
    folium.LayerControl(collapsed=True).add_to(m)
    labels, cov = status_labels(_), coverage_labels(_)
    areas: list[LegendItem] = [(rep, color, "area") for rep, color in colors.items()]
    if any(t.rep is None for t in data.territories):
        areas.append((_("No rep"), NO_REP_COLOR, "area"))
    if data.regions:
        areas.append((_("Region boundary"), REGION_COLOR, "outline"))
    Legend([
        (_("Account status"), [(labels[s], STATUS_COLORS[s]) for s in STATUSES]
         + [(_("A group of accounts (their number)"), NEUTRAL_RING, "cluster")]),
        (_("Coverage (a layer)"),
         [(cov[c], COVERAGE_COLORS[c]) for c in COVERAGE_CLASSES]),
        (_("Territories by rep"), areas),
    ], title=_("Legend"), direction=direction).add_to(m)  # fmt: skip
    _fit(m, bounds, home)
    return localize_assets(m, static_url)


def route_map(
    routes: Sequence[RouteLine],
    unassigned: Sequence[UnassignedVisit] = (),
    *,
    static_url: str,
    tile_url: str,
    tile_attribution: str,
    vector_tiles: bool = False,
    gettext: Gettext = identity,
    home: Bounds | None = None,
    direction: str = "ltr",
) -> folium.Map:
    """One layer per rep's route (line, numbered stops, ETA in popups) and one layer of the
    visits no route could take, drawn apart (dashed squares) so they are not read as stops.
    The view fits the routes, else `home` (south, west, north, east: the region)."""
    _ = gettext
    m = _base_map(static_url=static_url, tile_url=tile_url, tile_attribution=tile_attribution,
                  vector_tiles=vector_tiles, _=_)  # fmt: skip
    figure = m.get_root()
    assert isinstance(figure, Figure)  # a Map's root is always its Figure
    figure.header.add_child(Element(ROUTE_CSS), name="fieldcrm_route_css")
    palette = rep_colors(r.rep for r in routes)
    colors = {r.rep: r.color or palette[r.rep] for r in routes}
    points: list[tuple[float, float]] = []
    for route in routes:
        route_layer(route, colors[route.rep], _).add_to(m)
        points.extend((s.lat, s.lng) for s in route.stops)
        points.extend(route.path)

    if unassigned:
        name = f"{_('Unassigned visits')} ({len(unassigned)})"
        group = folium.FeatureGroup(name=esc(name))
        for visit in unassigned:
            rows = [f"<strong>{esc(visit.name)}</strong>", esc(_("Not assigned to any route"))]
            if visit.reason:
                rows.append(f"{esc(_('Reason'))}: {esc(visit.reason)}")
            folium.Marker(
                (visit.lat, visit.lng),
                icon=folium.DivIcon(
                    html='<div class="fieldcrm-unassigned">?</div>',
                    icon_size=(20, 20), icon_anchor=(10, 10),
                    class_name="fieldcrm-unassigned-icon",
                ),
                popup=folium.Popup(f'<div dir="auto">{"<br>".join(rows)}</div>'),
                tooltip=esc(visit.name),
            ).add_to(group)  # fmt: skip
            points.append((visit.lat, visit.lng))
        group.add_to(m)

    folium.LayerControl(collapsed=False).add_to(m)
    marks: list[LegendItem] = [(_("A stop, numbered in visiting order"), NEUTRAL_RING, "stop")]
    if any(r.path for r in routes):
        marks.append((_("The route along the streets"), NEUTRAL_RING, "line"))
    if any(not r.path and len(r.stops) >= 2 for r in routes):
        marks.append((_("Straight lines: no street route was computed"), NEUTRAL_RING,
                      "dashed-line"))  # fmt: skip
    if unassigned:
        marks.append((f"{_('Unassigned visits')} ({len(unassigned)})", "#ffffff", "left-out"))
    sections: list[tuple[str, list[LegendItem]]] = [
        (_("Routes"), [(rep, color, "line") for rep, color in colors.items()]),
        (_("On the map"), marks),
    ]
    Legend(sections, title=_("Legend"), direction=direction).add_to(m)
    _fit(m, _points_bounds(points), home)
    return localize_assets(m, static_url)
