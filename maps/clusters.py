"""Accounts on big maps: the accounts emitted once as a shared array (`AccountData`) and
clustered in the browser with supercluster (`AccountCluster`), one layer per status plus
coverage. Popups are built with `textContent` in the browser, so names need no escaping here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import folium
from branca.element import Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from maps.data import STATUSES, AccountPoint
from maps.markup import Gettext, RawScript, esc, js_json
from maps.style import (
    COVERAGE_CLASSES,
    COVERAGE_COLORS,
    STATUS_COLORS,
    coverage_class,
    status_labels,
)

# One look for groups of accounts on both account paths (supercluster here, folium's
# MarkerCluster in markers.py): a white disc with the count inside a ring of the accounts'
# colours, in proportion (a conic gradient). Leaflet.markercluster's own green / yellow /
# orange by size read as the customer / prospect colours, so it is not used.
CLUSTER_CSS = """<style>
.fieldcrm-cluster { display: flex; align-items: center; justify-content: center;
  border-radius: 50%; box-sizing: border-box; border: 2px solid #fff;
  box-shadow: 0 0 0 1px rgba(0,0,0,0.45), 0 1px 3px rgba(0,0,0,0.35); }
.fieldcrm-cluster span { min-inline-size: 60%; block-size: 60%; border-radius: 999px;
  background: #fff; color: #212121; font: bold 11px system-ui, sans-serif; display: flex;
  align-items: center; justify-content: center; padding-inline: 2px; box-sizing: border-box; }
.fieldcrm-cluster-icon { background: none; border: none; }
</style>"""
CLUSTER_JS = """
function fieldcrmClusterIcon(counts, colors, label) {
    var total = 0, at = 0, stops = [];
    for (var k = 0; k < counts.length; k++) { total += counts[k]; }
    for (k = 0; k < counts.length; k++) {
        if (!counts[k]) { continue; }
        var end = at + 100 * counts[k] / total;
        stops.push(colors[k] + ' ' + at.toFixed(1) + '% ' + end.toFixed(1) + '%');
        at = end;
    }
    var px = total < 10 ? 30 : total < 100 ? 36 : total < 1000 ? 42 : 48;
    var box = document.createElement('div'), span = document.createElement('span');
    box.className = 'fieldcrm-cluster';
    box.style.inlineSize = box.style.blockSize = px + 'px';
    box.style.background = 'conic-gradient(' + stops.join(', ') + ')';
    span.textContent = String(label);
    box.appendChild(span);
    return L.divIcon({html: box, className: 'fieldcrm-cluster-icon', iconSize: L.point(px, px)});
}
"""


class ClusterStyle(MacroElement):
    """The cluster icons' CSS and their one drawing function, once per map."""

    _template = Template(
        "{% macro header(this, kwargs) %}" + CLUSTER_CSS + "{% endmacro %}"
        "{% macro script(this, kwargs) %}" + CLUSTER_JS + "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ClusterStyle"


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

    def render(self, **kwargs: Any) -> str:
        # MacroElement.render wraps the rendered script in Element(text), which compiles the
        # text as a Jinja template: for 100k rows that lexed 8 MB and took ~1.5 s. The script
        # is plain text, so it goes in as a RawScript that renders as itself.
        figure = self.get_root()
        assert isinstance(figure, Figure), "AccountData renders only inside a Figure"
        script = f"var {self.get_name()} = JSON.parse({self.payload});\n"
        figure.script.add_child(RawScript(script), name=self.get_name())
        return ""  # a macro element adds to the figure; what it returns is not used


class AccountCluster(JSCSSMixin, folium.map.Layer):
    """Clusters accounts from AccountData in the browser with supercluster: a k-d tree index
    (about 0.1 s per 30k points) and only the clusters in view as Leaflet layers, redrawn on
    each move. Leaflet.markercluster took ~25 s for 100k accounts over three layers in
    headless Chromium; this takes well under the 3 s aim. The index is built the first time
    the layer is shown, so hidden layers cost nothing at page load; popups are built with
    textContent only when opened. A cluster is a ring round its count (`CLUSTER_JS`): in its
    status colour on a status layer, on the coverage layer the share of each coverage class,
    so how overdue an area is reads at every zoom, not only once zoomed in to single accounts."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var src = {{ this.data.get_name() }}, map = {{ this._parent.get_name() }};
    var field = {{ this.color_field }};
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
        // Counts per class (k0, k1, …; scalars, since supercluster copies a cluster's
        // properties shallowly), so a group shows the share of each class, at any zoom.
        index = new Supercluster({
            radius: 60, maxZoom: 17,
            map: function (p) { var o = {}; o['k' + p.c] = 1; return o; },
            reduce: function (acc, p) {
                for (var k = 0; k < colors.length; k++) {
                    acc['k' + k] = (acc['k' + k] || 0) + (p['k' + k] || 0);
                }
            }
        }).load(points);
    }
    function clusterIcon(props) {
        var counts = [];
        for (var k = 0; k < colors.length; k++) { counts.push(props['k' + k] || 0); }
        return fieldcrmClusterIcon(counts, colors, props.point_count_abbreviated);
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
        # The layer control inserts a layer's name as HTML.
        super().__init__(name=esc(name), overlay=True, control=True, show=show)
        self._name = "AccountCluster"
        self.data = data
        self.status_index = status_index
        self.color_field = 2 if color_by == "status" else 3


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
