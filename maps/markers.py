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
    clusters = {s: MarkerCluster(name=esc(labels[s]), show=True) for s in STATUSES}
    coverage = MarkerCluster(
        name=esc(_("Coverage")), show=False, icon_create_function=_coverage_icon_function()
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
