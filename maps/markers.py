"""Accounts on small maps: one folium MarkerCluster per status plus a coverage cluster.

Above `FAST_CLUSTER_THRESHOLD` accounts the builders use `maps.clusters` instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
from folium.plugins import MarkerCluster

from maps.data import STATUSES, AccountPoint
from maps.markup import Gettext, esc, js_json
from maps.style import (
    COVERAGE_CLASSES,
    COVERAGE_COLORS,
    STATUS_COLORS,
    coverage_class,
    status_labels,
)


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


def _cluster_icon_function(colors: list[str]) -> str:
    """A cluster's icon by the colours of its markers (maps.clusters.CLUSTER_JS): the share of
    each coverage class on the coverage layer, the one status colour on a status layer."""
    return f"""function (cluster) {{
        var colors = {js_json(colors)}, counts = colors.map(function () {{ return 0; }});
        var markers = cluster.getAllChildMarkers();
        for (var i = 0; i < markers.length; i++) {{
            var k = colors.indexOf(markers[i].options.fillColor);
            if (k >= 0) {{ counts[k] += 1; }}
        }}
        return fieldcrmClusterIcon(counts, colors, cluster.getChildCount());
    }}"""


def small_account_layers(accounts: Sequence[AccountPoint], _: Gettext) -> list[folium.map.Layer]:
    """One MarkerCluster per status plus a coverage cluster, built as folium objects. Each
    marker costs about 0.5 ms and 1 KB to render, twice (status and coverage), so this path is
    for small maps only; no tooltips, which would add as much again."""
    labels = status_labels(_)
    clusters = {
        s: MarkerCluster(name=esc(labels[s]), show=True,
                         icon_create_function=_cluster_icon_function([STATUS_COLORS[s]]))
        for s in STATUSES
    }  # fmt: skip
    coverage = MarkerCluster(
        name=esc(_("Coverage")), show=False,
        icon_create_function=_cluster_icon_function([COVERAGE_COLORS[c] for c in COVERAGE_CLASSES]),
    )  # fmt: skip
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
