"""A rep's route for a day: the driven line and numbered stops with their ETA."""

from __future__ import annotations

import folium

from maps.data import RouteLine
from maps.markup import Gettext, esc


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
    # The layer control inserts a layer's name as HTML.
    group = folium.FeatureGroup(name=esc(route.rep), show=True)
    stops = sorted(route.stops, key=lambda s: s.seq)
    line = list(route.path) or [(s.lat, s.lng) for s in stops]
    if len(line) >= 2:
        # Dashed when it is only stops joined straight, so it is not read as the roads taken.
        dashes = None if route.path else "8 6"
        folium.PolyLine(line, color=color, weight=4, opacity=0.8,
                        dash_array=dashes).add_to(group)  # fmt: skip
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
