"""A map widget for the admin whose assets and tiles come from us, not a CDN."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.forms.widgets import OSMWidget

from fieldcrm.core.tiles import OWN_MAX_DATA_ZOOM, map_tiles


class LocalOSMWidget(OSMWidget):
    """Django's OSMWidget with OpenLayers from our static files (npm `ol`, see `make assets`),
    the maps' tiles (by default the app's own vector tiles, fieldcrm/core/tiles.py), and no
    inline script (the options go out as JSON)."""

    template_name = "gis/local-openlayers-osm.html"

    class Media:
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js", "gis/js/local-map-widget.js")

    @property
    def media(self):
        # Replace rather than extend the parent's media, which names the CDN.
        from django.forms.widgets import Media

        return Media(css=dict(self.Media.css), js=self.Media.js)

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        # As JSON for gis/js/local-map-widget.js: no inline script (Content-Security-Policy).
        tiles = map_tiles()
        context["options_id"] = f"{context['id']}_fieldcrm_map_options"
        context["widget_options"] = {
            "geom_name": context["geom_type"],
            "id": context["id"],
            "map_id": f"{context['id']}_map",
            "map_srid": context["map_srid"],
            "name": context["name"],
            "module": context["module"],
            "default_lon": context["default_lon"],
            "default_lat": context["default_lat"],
            "default_zoom": context["default_zoom"],
            "tile_url": tiles.url,
            "tile_attribution": tiles.attribution,
            "tile_vector": tiles.vector,
            "tile_max_data_zoom": OWN_MAX_DATA_ZOOM,
        }
        return context
