"""The prospect heatmap: where the unconverted demand is."""

from __future__ import annotations

from collections.abc import Sequence

import folium
import folium.plugins
from folium.template import Template

from maps.clusters import AccountData
from maps.data import AccountPoint
from maps.markup import Gettext, esc


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
        return SharedHeatMap(data, name=esc(_("Prospect density")), status_index=1)
    points = [[a.lat, a.lng] for a in accounts if a.status == "prospect"]
    return folium.plugins.HeatMap(
        points, name=esc(_("Prospect density")), show=False, radius=18, blur=15, min_opacity=0.3
    )
