"""The app's own vector tiles: one per request (the maps), or a box of them in one answer (the
phone keeping its area, tile-pack.js)."""

from __future__ import annotations

import gzip
import struct

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from fieldcrm.tiles.mbtiles import tile_read, tiles_read_box

MAX_ZOOM = 22
# At most this many tiles in one bundle: ~0.5 MB of the demo's street tiles, 10 s on slow 3G.
BUNDLE_MAX_TILES = 128
BUNDLE_RECORD = struct.Struct(">BIII")  # z, x, y, length of the (uncompressed) tile


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


def _bad(field: str, message: str) -> JsonResponse:
    return JsonResponse({"detail": [{"loc": ["query", field], "msg": message}]}, status=400)


@require_GET
def tile_bundle(request: HttpRequest) -> HttpResponse:
    """A box of tiles of one zoom in one answer (``?z=&x0=&x1=&y0=&y1=``, XYZ, inclusive):
    the phone keeping its area pays one round trip per bundle instead of one per tile, which
    on slow 3G (2 s each) was most of the fill. The body is a record per tile of the box,
    row by row (``BUNDLE_RECORD``: z, x, y, length, big-endian; length 0 for no tile, which
    the phone keeps as the 204 the tile URL would answer), each followed by the tile's
    uncompressed MVT; the whole body is gzipped once (tiles compress better together)."""
    try:
        z, x0, x1, y0, y1 = (int(request.GET[k]) for k in ("z", "x0", "x1", "y0", "y1"))
    except KeyError as exc:
        return _bad(str(exc.args[0]), "required")
    except ValueError:
        return _bad("z", "z, x0, x1, y0 and y1 are integers")
    if not 0 <= z <= MAX_ZOOM:
        return _bad("z", f"a zoom from 0 to {MAX_ZOOM}")
    if not (0 <= x0 <= x1 < 1 << z and 0 <= y0 <= y1 < 1 << z):
        return _bad("x0", "a box inside the zoom's grid, x0 ≤ x1 and y0 ≤ y1")
    if (x1 - x0 + 1) * (y1 - y0 + 1) > BUNDLE_MAX_TILES:
        return _bad("x1", f"at most {BUNDLE_MAX_TILES} tiles in a bundle")
    stored = tiles_read_box(settings.FIELDCRM_TILES_FILE, z, x0, x1, y0, y1)
    parts = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            data = stored.get((x, y), b"")
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)  # tilemaker stores them gzipped
            parts += [BUNDLE_RECORD.pack(z, x, y, len(data)), data]
    response = HttpResponse(gzip.compress(b"".join(parts), compresslevel=6, mtime=0),
                            content_type="application/octet-stream")  # fmt: skip
    response["Content-Encoding"] = "gzip"
    response["Cache-Control"] = "public, max-age=86400"
    return response
