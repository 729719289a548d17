"""Which tiles every map draws: the configured tile server, or the app's own vector tiles.

`FIELDCRM_TILE_URL` unset (or empty) means our own tiles, served by fieldcrm/tiles/ from the
MBTiles file `make setup` builds out of the committed OSM extracts; a URL ending in `.mvt` or
`.pbf` is vector tiles too (drawn with protomaps-leaflet), any other is raster (`L.tileLayer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

OWN_TILE_URL = "/tiles/{z}/{x}/{y}.mvt"  # fieldcrm/tiles/urls.py
OWN_MAX_DATA_ZOOM = 14  # fieldcrm/tiles/tilemaker/config.json


@dataclass(frozen=True)
class MapTiles:
    url: str
    attribution: str
    vector: bool


def map_tiles() -> MapTiles:
    """The tiles of every map (manager, planner, phone, admin), read from settings."""
    url = settings.FIELDCRM_TILE_URL or OWN_TILE_URL
    vector = urlsplit(url).path.endswith((".mvt", ".pbf"))
    return MapTiles(url=url, attribution=settings.FIELDCRM_TILE_ATTRIBUTION, vector=vector)
