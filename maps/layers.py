"""The layers the builders compose: colours, territory polygons, account clusters (a folium
path for small maps and a shared-array JavaScript path for big ones), heat, coverage, legend,
the draw hook, and route lines.

Security note: account, territory and rep names are user data, and Leaflet tooltips, popups and
folium's GeoJsonTooltip insert HTML. Folium-built content is escaped here with `html.escape`;
the big-map path builds its popups with `textContent` in the browser.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import Draw, MarkerCluster
from folium.template import Template

from maps.data import STATUSES, AccountPoint, RegionShape, RouteLine, TerritoryShape

Gettext = Callable[[str], str]


def identity(text: str) -> str:
    """Default gettext: no translation."""
    return text


# Colour-blind-friendly enough and distinct on a light basemap; a 13th rep reuses colour 1
# (a territory map with more reps than this is filtered per region in practice).
REP_PALETTE: tuple[str, ...] = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#393b79", "#bcbd22", "#637939", "#7f7f7f",
)  # fmt: skip
NO_REP_COLOR = "#9e9e9e"
STATUS_COLORS: dict[str, str] = {"lead": "#1e88e5", "prospect": "#fb8c00", "customer": "#43a047"}

# Coverage classes, ordered by rank: a cluster shows the worst rank among its accounts.
COVERAGE_CLASSES: tuple[str, ...] = ("no_target", "ok", "overdue", "late", "never")
COVERAGE_COLORS: dict[str, str] = {
    "no_target": "#9e9e9e",
    "ok": "#2e7d32",
    "overdue": "#f9a825",
    "late": "#c62828",
    "never": "#6a1b9a",
}


def status_labels(_: Gettext) -> dict[str, str]:
    return {"lead": _("Leads"), "prospect": _("Prospects"), "customer": _("Customers")}


def coverage_labels(_: Gettext) -> dict[str, str]:
    return {
        "no_target": _("No visit frequency set"),
        "ok": _("Visited within frequency"),
        "overdue": _("Overdue"),
        "late": _("Overdue by more than twice the frequency"),
        "never": _("Never visited"),
    }


def coverage_class(days_since_visit: int | None, frequency_days: int | None) -> str:
    """Classify an account by its last visit against its desired visit frequency."""
    if frequency_days is None or frequency_days <= 0:
        return "no_target"
    if days_since_visit is None:
        return "never"
    if days_since_visit <= frequency_days:
        return "ok"
    if days_since_visit <= 2 * frequency_days:
        return "overdue"
    return "late"


def rep_colors(reps: Iterable[str | None]) -> dict[str, str]:
    """A stable colour per rep: sorted names, so the same set of reps always gets the same
    colours and the Django side can reuse this for its own legends and charts."""
    names = sorted({rep for rep in reps if rep})
    return {rep: REP_PALETTE[i % len(REP_PALETTE)] for i, rep in enumerate(names)}


def js_json(value: Any) -> str:
    """JSON safe to place inside a <script> element (no `</script>`, no U+2028 breaks)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(raw, escaped)
    return text


def esc(text: str) -> str:
    """HTML-escape, and also neutralise backtick, `$` and backslash: folium places popup and
    tooltip HTML inside JavaScript template literals, where `${...}` would run as code."""
    text = html.escape(text, quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


# ---------------------------------------------------------------------------- polygons


def region_layer(regions: Sequence[RegionShape], _: Gettext) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=_("Regions"), show=True)
    features = [
        {"type": "Feature", "geometry": dict(r.geojson), "properties": {"name": esc(r.name)}}
        for r in regions
    ]
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda _f: {"color": "#424242", "weight": 3, "fill": False},
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=[esc(_("Region"))]),
        ).add_to(group)
    return group


def territory_layer(
    territories: Sequence[TerritoryShape], colors: Mapping[str, str], _: Gettext
) -> folium.FeatureGroup:
    labels = {"lead": _("Leads"), "prospect": _("Prospects"), "customer": _("Customers")}
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
    group = folium.FeatureGroup(name=_("Territories"), show=True)
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


# ------------------------------------------------------------------- accounts, small maps


def _popup_html(a: AccountPoint, _: Gettext) -> str:
    title = esc(a.name)
    if a.url:
        title = f'<a href="{esc(a.url)}" target="_top">{title}</a>'
    rows = [f"<strong>{title}</strong>"]
    if a.rep:
        rows.append(f"{esc(_('Rep'))}: {esc(a.rep)}")
    if a.days_since_visit is not None:
        rows.append(f"{esc(_('Days since last visit'))}: {a.days_since_visit}")
    if a.frequency_days is not None:
        rows.append(f"{esc(_('Visit every (days)'))}: {a.frequency_days}")
    # dir="auto" lets a Persian name lay itself out right to left inside an LTR page and back.
    return f'<div dir="auto">{"<br>".join(rows)}</div>'


def _coverage_icon_function() -> str:
    """Cluster icon coloured by the worst coverage class among its accounts; the rank is
    looked up from the marker's fill colour, which both account paths set."""
    ranks = {COVERAGE_COLORS[c]: i for i, c in enumerate(COVERAGE_CLASSES)}
    colors = [COVERAGE_COLORS[c] for c in COVERAGE_CLASSES]
    return f"""function (cluster) {{
        var ranks = {js_json(ranks)}, colors = {js_json(colors)};
        var markers = cluster.getAllChildMarkers(), worst = 0;
        for (var i = 0; i < markers.length && worst < colors.length - 1; i++) {{
            var r = ranks[markers[i].options.fillColor] || 0;
            if (r > worst) {{ worst = r; }}
        }}
        return L.divIcon({{
            html: '<div style="background-color:' + colors[worst] + 'cc"><span>'
                + cluster.getChildCount() + '</span></div>',
            className: 'marker-cluster fieldcrm-coverage-cluster',
            iconSize: new L.Point(40, 40)
        }});
    }}"""


def small_account_layers(accounts: Sequence[AccountPoint], _: Gettext) -> list[folium.map.Layer]:
    """One MarkerCluster per status plus a coverage cluster, built as folium objects. Each
    marker costs about 0.5 ms and 1 KB to render, twice (status and coverage), so this path is
    for small maps only; no tooltips, which would add as much again."""
    labels = status_labels(_)
    clusters = {s: MarkerCluster(name=labels[s], show=True) for s in STATUSES}
    coverage = MarkerCluster(
        name=_("Coverage"), show=False, icon_create_function=_coverage_icon_function()
    )
    for a in accounts:
        popup = _popup_html(a, _)
        folium.CircleMarker(
            (a.lat, a.lng), radius=6, weight=1, color="#ffffff", fill=True,
            fill_color=STATUS_COLORS[a.status], fill_opacity=0.9,
            popup=popup,
        ).add_to(clusters[a.status])  # fmt: skip
        folium.CircleMarker(
            (a.lat, a.lng), radius=6, weight=1, color="#ffffff", fill=True,
            fill_color=COVERAGE_COLORS[coverage_class(a.days_since_visit, a.frequency_days)],
            fill_opacity=0.9, popup=popup,
        ).add_to(coverage)  # fmt: skip
    return [*clusters.values(), coverage]


# --------------------------------------------------------------------- accounts, big maps


class AccountData(MacroElement):
    """Emits the accounts once, as one compact array shared by every big-map layer (status
    clusters, coverage, heat), instead of one copy per layer. Row layout:
    [lat, lng, status index, coverage index, name, 0 (was the id), url or 0, days or null,
    freq or null]."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = JSON.parse({{ this.payload }});
{% endmacro %}"""
    )

    def __init__(self, accounts: Sequence[AccountPoint], _: Gettext) -> None:
        super().__init__()
        self._name = "AccountData"
        status_index = {s: i for i, s in enumerate(STATUSES)}
        cov_index = {c: i for i, c in enumerate(COVERAGE_CLASSES)}
        # Five decimals is ~1 m: plenty for a marker, and it keeps 100k rows near 5 MB. The id
        # slot stays (as 0) so the layout is unchanged, but no script reads it, and 100k UUIDs
        # were 3.5 MB of the page.
        rows = [
            [
                round(a.lat * 1e5) / 1e5, round(a.lng * 1e5) / 1e5, status_index[a.status],
                cov_index[coverage_class(a.days_since_visit, a.frequency_days)],
                a.name, 0, a.url or 0, a.days_since_visit, a.frequency_days,
            ]
            for a in accounts
        ]  # fmt: skip
        self.count = len(rows)
        labels = {
            "rep": _("Rep"),
            "days": _("Days since last visit"),
            "freq": _("Visit every (days)"),
        }
        data = {
            "rows": rows,
            "statusColors": [STATUS_COLORS[s] for s in STATUSES],
            "coverageColors": [COVERAGE_COLORS[c] for c in COVERAGE_CLASSES],
            "labels": labels,
        }
        # A JSON string handed to JSON.parse rather than an object literal: headless Chromium
        # spent ~15 s compiling the 8 MB literal of 100k rows before the page could start.
        self.payload = js_json(json.dumps(data, separators=(",", ":"), ensure_ascii=False))

    def render(self, **kwargs: Any) -> None:
        # MacroElement.render wraps the rendered script in Element(text), which compiles the
        # text as a Jinja template: for 100k rows that lexed 8 MB and took ~1.5 s. The script
        # is plain text, so it goes in as a RawScript that renders as itself.
        script = f"var {self.get_name()} = JSON.parse({self.payload});\n"
        self.get_root().script.add_child(RawScript(script), name=self.get_name())


class RawScript(Element):
    """Text added to the page as is, never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawScript"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class AccountCluster(JSCSSMixin, folium.map.Layer):
    """Clusters accounts from AccountData in the browser with supercluster: a k-d tree index
    (about 0.1 s per 30k points) and only the clusters in view as Leaflet layers, redrawn on
    each move. Leaflet.markercluster took ~25 s for 100k accounts over three layers in
    headless Chromium; this takes well under the 3 s aim. The index is built the first time
    the layer is shown, so hidden layers cost nothing at page load; popups are built with
    textContent only when opened. Cluster icons reuse Leaflet.markercluster's CSS classes;
    with `worst_color` the icon takes the colour of the worst class among its accounts."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var src = {{ this.data.get_name() }}, map = {{ this._parent.get_name() }};
    var field = {{ this.color_field }}, worstColor = {{ this.worst_color|tojson }};
    var colors = field === 2 ? src.statusColors : src.coverageColors;
    var layer = L.layerGroup(), index = null;
    function popup(row) {
        return function () {
            var box = document.createElement('div'), title = document.createElement('strong');
            box.dir = 'auto';
            if (row[6]) {
                var link = document.createElement('a');
                link.href = row[6]; link.target = '_top'; link.textContent = row[4];
                title.appendChild(link);
            } else {
                title.textContent = row[4];
            }
            box.appendChild(title);
            [[src.labels.days, row[7]], [src.labels.freq, row[8]]].forEach(function (pair) {
                if (pair[1] === null) { return; }
                box.appendChild(document.createElement('br'));
                box.appendChild(document.createTextNode(pair[0] + ': ' + pair[1]));
            });
            return box;
        };
    }
    function build() {
        var rows = src.rows, points = [];
        for (var i = 0; i < rows.length; i++) {
            {%- if this.status_index is not none %}
            if (rows[i][2] !== {{ this.status_index }}) { continue; }
            {%- endif %}
            points.push({type: 'Feature', properties: {i: i, c: rows[i][field]},
                         geometry: {type: 'Point', coordinates: [rows[i][1], rows[i][0]]}});
        }
        index = new Supercluster({
            radius: 60, maxZoom: 17,
            map: function (p) { return {c: p.c}; },
            reduce: function (acc, p) { if (p.c > acc.c) { acc.c = p.c; } }
        }).load(points);
    }
    function clusterIcon(props) {
        var n = props.point_count;
        var size = n < 10 ? 'small' : n < 100 ? 'medium' : 'large';
        var style = worstColor ? ' style="background-color:' + colors[props.c] + 'cc"' : '';
        return L.divIcon({
            html: '<div' + style + '><span>' + props.point_count_abbreviated + '</span></div>',
            className: 'marker-cluster marker-cluster-' + size,
            iconSize: L.point(40, 40)
        });
    }
    function update() {
        var b = map.getBounds(), zoom = Math.round(map.getZoom());
        var features = index.getClusters(
            [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom);
        layer.clearLayers();
        features.forEach(function (f) {
            var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]], p = f.properties;
            if (p.cluster) {
                L.marker(ll, {icon: clusterIcon(p)}).on('click', function () {
                    map.setView(ll, Math.min(index.getClusterExpansionZoom(p.cluster_id), 18));
                }).addTo(layer);
            } else {
                var row = src.rows[p.i];
                L.circleMarker(ll, {radius: 6, weight: 1, color: '#ffffff',
                                    fillColor: colors[row[field]], fillOpacity: 0.9})
                    .bindPopup(popup(row)).addTo(layer);
            }
        });
    }
    layer.on('add', function () {
        if (!index) { build(); }
        update();
        map.on('moveend', update);
    });
    layer.on('remove', function () { map.off('moveend', update); });
    return layer;
})();
{% endmacro %}"""
    )

    # Replaced by maps.assets with the static URL; never a CDN (the class default is local too).
    default_js = [("supercluster", "vendor/supercluster/supercluster.min.js")]

    def __init__(
        self,
        data: AccountData,
        *,
        name: str,
        status_index: int | None,
        color_by: str,
        show: bool,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "AccountCluster"
        self.data = data
        self.status_index = status_index
        self.color_field = 2 if color_by == "status" else 3
        self.worst_color = color_by == "coverage"


def big_account_layers(data: AccountData, _: Gettext) -> list[folium.map.Layer]:
    labels = status_labels(_)
    layers: list[folium.map.Layer] = [
        AccountCluster(data, name=labels[s], status_index=i, color_by="status", show=True)
        for i, s in enumerate(STATUSES)
    ]
    layers.append(
        AccountCluster(
            data,
            name=_("Coverage"),
            status_index=None,
            color_by="coverage",
            show=False,
        )  # fmt: skip
    )
    return layers


class SharedHeatMap(folium.plugins.HeatMap):
    """Leaflet.heat layer over the prospects in AccountData, so big maps do not embed the
    prospect coordinates a second time."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.heatLayer(
    {{ this.data_el.get_name() }}.rows
        .filter(function (r) { return r[2] === {{ this.status_index }}; })
        .map(function (r) { return [r[0], r[1]]; }),
    {{ this.options|tojavascript }}
);
{% endmacro %}"""
    )

    def __init__(self, data: AccountData, *, name: str, status_index: int) -> None:
        super().__init__([], name=name, show=False, radius=18, blur=15, min_opacity=0.3)
        self._name = "SharedHeatMap"
        self.data_el = data
        self.status_index = status_index


def heat_layer(
    accounts: Sequence[AccountPoint], data: AccountData | None, _: Gettext
) -> folium.map.Layer:
    """Heat of prospects: where the unconverted demand is. Hidden until switched on."""
    if data is not None:
        return SharedHeatMap(data, name=_("Prospect density"), status_index=1)
    points = [[a.lat, a.lng] for a in accounts if a.status == "prospect"]
    return folium.plugins.HeatMap(
        points, name=_("Prospect density"), show=False, radius=18, blur=15, min_opacity=0.3
    )


# -------------------------------------------------------------------- legend, draw, icons


class Legend(MacroElement):
    """A Leaflet control listing colour swatches by section. Built with DOM calls and
    textContent (labels are translated user-facing text), laid out with flexbox and logical
    CSS properties so it reads correctly when the page or a label is right to left."""

    _template = Template(
        """{% macro header(this, kwargs) %}
<style>
.fieldcrm-legend { background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.4 system-ui, sans-serif;
  max-height: 40vh; overflow-y: auto; text-align: start; }
.fieldcrm-legend h4 { margin: 4px 0 2px; font-size: 12px; }
.fieldcrm-legend .row { display: flex; align-items: center; gap: 6px; margin: 0; }
.fieldcrm-legend .swatch { flex: none; inline-size: 12px; block-size: 12px; border-radius: 50%;
  border: 1px solid #fff; box-shadow: 0 0 0 1px rgba(0,0,0,0.25); }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
    var sections = {{ this.payload }};
    var legend = L.control({position: {{ this.position|tojson }}});
    legend.onAdd = function () {
        var box = L.DomUtil.create('div', 'fieldcrm-legend leaflet-bar');
        sections.forEach(function (section) {
            var h = document.createElement('h4');
            h.dir = 'auto'; h.textContent = section[0];
            box.appendChild(h);
            section[1].forEach(function (item) {
                var row = document.createElement('div'), sw = document.createElement('span');
                var text = document.createElement('span');
                row.className = 'row'; sw.className = 'swatch';
                sw.style.backgroundColor = item[1];
                text.dir = 'auto'; text.textContent = item[0];
                row.appendChild(sw); row.appendChild(text);
                box.appendChild(row);
            });
        });
        L.DomEvent.disableScrollPropagation(box);
        return box;
    };
    legend.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}"""
    )

    def __init__(
        self, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
        position: str = "bottomright",
    ) -> None:  # fmt: skip
        super().__init__()
        self._name = "Legend"
        self.sections = [(title, list(items)) for title, items in sections if items]
        self.payload = js_json(self.sections)
        self.position = position


class DefaultIconPath(MacroElement):
    """Leaflet finds its default marker images through a CSS probe that fails when the CSS is
    inlined or served from another prefix; setting imagePath makes it explicit."""

    _template = Template(
        """{% macro script(this, kwargs) %}
L.Icon.Default.prototype.options.imagePath = {{ this.path|tojson }};
{% endmacro %}"""
    )

    def __init__(self, path: str) -> None:
        super().__init__()
        self._name = "DefaultIconPath"
        self.path = path


class DrawHook(MacroElement):
    """Hands the area a manager draws to the page: calls `window.fieldcrmOnDraw(feature)`
    (or the parent page's, when the map is in a same-origin iframe) and dispatches a
    `fieldcrm:draw` DOM event; `null` when the shape is deleted. Only the latest shape is
    kept, since a selection is one area."""

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var drawn = drawnItems_{{ this.draw.get_name() }};
    function notify(feature) {
        var targets = [window];
        try {
            if (window.parent !== window && window.parent.fieldcrmOnDraw) {
                targets.push(window.parent);
            }
        } catch (err) { /* cross-origin parent: the DOM event below still fires */ }
        for (var i = 0; i < targets.length; i++) {
            if (typeof targets[i].fieldcrmOnDraw === 'function') {
                targets[i].fieldcrmOnDraw(feature);
                break;
            }
        }
        document.dispatchEvent(new CustomEvent('fieldcrm:draw', {detail: feature}));
    }
    map.on(L.Draw.Event.CREATED, function (e) {
        drawn.eachLayer(function (layer) {
            if (layer !== e.layer) { drawn.removeLayer(layer); }
        });
        notify(e.layer.toGeoJSON());
    });
    map.on(L.Draw.Event.EDITED, function () {
        var layers = drawn.getLayers();
        notify(layers.length ? layers[layers.length - 1].toGeoJSON() : null);
    });
    map.on(L.Draw.Event.DELETED, function () {
        if (!drawn.getLayers().length) { notify(null); }
    });
    var local = {{ this.strings }};
    L.drawLocal.draw.toolbar.buttons.polygon = local.polygon;
    L.drawLocal.draw.toolbar.buttons.rectangle = local.rectangle;
    L.drawLocal.draw.toolbar.actions.text = local.cancel;
    L.drawLocal.draw.toolbar.finish.text = local.finish;
    L.drawLocal.draw.toolbar.undo.text = local.undo;
    L.drawLocal.edit.toolbar.buttons.edit = local.edit;
    L.drawLocal.edit.toolbar.buttons.remove = local.remove;
})();
{% endmacro %}"""
    )

    def __init__(self, draw: Draw, _: Gettext) -> None:
        super().__init__()
        self._name = "DrawHook"
        self.draw = draw
        self.strings = js_json({
            "polygon": _("Select an area"),
            "rectangle": _("Select a rectangle"),
            "cancel": _("Cancel"),
            "finish": _("Finish"),
            "undo": _("Delete last point"),
            "edit": _("Edit the selection"),
            "remove": _("Clear the selection"),
        })  # fmt: skip


def draw_control(m: folium.Map, _: Gettext) -> Draw:
    """Polygon and rectangle only: the selection is an area of accounts."""
    draw = Draw(
        export=False,
        position="topleft",
        draw_options={
            "polyline": False, "circle": False, "marker": False, "circlemarker": False,
            "polygon": {"allowIntersection": False, "showArea": False},
            "rectangle": {"showArea": False},
        },
        edit_options={"poly": {"allowIntersection": False}},
    )  # fmt: skip
    draw.add_to(m)
    # The hook goes after the Draw control: it refers to the control's feature group, and
    # drawLocal must be patched before a toolbar is (re)built. Leaflet.draw reads drawLocal
    # when handlers are enabled, so patching after the control is added still takes effect.
    DrawHook(draw, _).add_to(m)
    return draw


# ------------------------------------------------------------------------------- routes


def _stop_icon(seq: int, color: str) -> folium.DivIcon:
    return folium.DivIcon(
        html=(f'<div class="fieldcrm-stop" style="background:{color}">{seq}</div>'),
        icon_size=(24, 24),
        icon_anchor=(12, 12),
        class_name="fieldcrm-stop-icon",
    )


ROUTE_CSS = """<style>
.fieldcrm-stop { inline-size: 24px; block-size: 24px; border-radius: 50%; color: #fff;
  font: bold 12px/24px system-ui, sans-serif; text-align: center; border: 2px solid #fff;
  box-shadow: 0 0 0 1px rgba(0,0,0,0.35); box-sizing: border-box; line-height: 20px; }
.fieldcrm-unassigned { inline-size: 20px; block-size: 20px; background: #fff; color: #424242;
  border: 2px dashed #424242; border-radius: 3px; font: bold 12px/16px system-ui, sans-serif;
  text-align: center; box-sizing: border-box; }
</style>"""


def route_layer(route: RouteLine, color: str, _: Gettext) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=route.rep, show=True)
    stops = sorted(route.stops, key=lambda s: s.seq)
    line = list(route.path) or [(s.lat, s.lng) for s in stops]
    if len(line) >= 2:
        folium.PolyLine(line, color=color, weight=4, opacity=0.8).add_to(group)
    for stop in stops:
        title = esc(stop.name)
        if stop.url:
            title = f'<a href="{esc(stop.url)}" target="_top">{title}</a>'
        rows = [f"<strong>{stop.seq}. {title}</strong>", f"{esc(_('Rep'))}: {esc(route.rep)}"]
        if stop.eta:
            rows.append(f"{esc(_('ETA'))}: {esc(stop.eta)}")
        folium.Marker(
            (stop.lat, stop.lng),
            icon=_stop_icon(stop.seq, color),
            popup=folium.Popup(f'<div dir="auto">{"<br>".join(rows)}</div>'),
            tooltip=esc(f"{stop.seq}. {stop.name}"),
        ).add_to(group)
    return group
