"""A map widget for the admin whose assets and tiles come from us, not a CDN."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.forms.widgets import OSMWidget


class LocalOSMWidget(OSMWidget):
    """Django's OSMWidget with OpenLayers from our static files (npm `ol`, see `make assets`)
    and the tile URL from settings."""

    template_name = "gis/local-openlayers-osm.html"

    class Media:
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js")

    @property
    def media(self):
        # Replace rather than extend the parent's media, which names the CDN.
        from django.forms.widgets import Media

        return Media(css=dict(self.Media.css), js=self.Media.js)

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        context["tile_url"] = settings.FIELDCRM_TILE_URL
        context["tile_attribution"] = settings.FIELDCRM_TILE_ATTRIBUTION
        return context
