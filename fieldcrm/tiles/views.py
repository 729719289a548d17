"""The app's own vector tiles, one MBTiles row per request."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from fieldcrm.tiles.mbtiles import tile_read

MAX_ZOOM = 22


@require_GET
def tile(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    """A tile of the OSM extracts (public data: no login). Outside them, 204 and no body,
    which protomaps-leaflet draws as an empty tile (a 404 page would not parse)."""
    if z > MAX_ZOOM or x >= 1 << z or y >= 1 << z:
        return HttpResponse(status=404)
    data = tile_read(settings.FIELDCRM_TILES_FILE, z, x, y)
    response = HttpResponse(data or b"", status=200 if data else 204,
                            content_type="application/vnd.mapbox-vector-tile")  # fmt: skip
    if data and data[:2] == b"\x1f\x8b":
        response["Content-Encoding"] = "gzip"  # tilemaker stores them gzipped
    response["Cache-Control"] = "public, max-age=86400"
    return response
