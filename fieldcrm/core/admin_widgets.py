"""A map widget for the admin whose assets and tiles come from us, not a CDN."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.forms.widgets import OSMWidget


class LocalOSMWidget(OSMWidget):
    """Django's OSMWidget with OpenLayers from our static files (npm `ol`, see `make assets`),
    the tile URL from settings, and no inline script (the options go out as JSON)."""

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
            "tile_url": settings.FIELDCRM_TILE_URL,
            "tile_attribution": settings.FIELDCRM_TILE_ATTRIBUTION,
        }
        return context
