"""The phone app's server side: its shell page and the precache list its worker imports.

The app itself is static (pwa/): the shell holds no user data, so the service worker may
cache it and open the app offline; who is signed in is asked of /api/v1/auth/me.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fieldcrm.core.tiles import OWN_MAX_DATA_ZOOM, OWN_TILE_URL, map_tiles

SHELL_URL = "/app/"
BUNDLE = "bundle/app.js"  # pwa/static/pwa/js/ bundled with idb by `npm run build` (make assets)
# Besides the bundle and pwa/static/pwa/ (its modules aside), the files the shell loads.
VENDOR_FILES = (
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/protomaps-leaflet/protomaps-leaflet.js",
    "vendor/supercluster/supercluster.min.js",  # the accounts map's clusters (issue 21)
)
# The browser asks for these outside /static/; precached so they do not 404 offline (issue 21).
MANIFEST_URL = "/manifest.json"
FAVICON_URL = "/favicon.ico"
FAVICON_FILE = "pwa/icons/icon-192.png"


def shell_context() -> dict:
    tiles = map_tiles()
    return {
        "app_name": settings.PWA_APP_NAME,
        "theme_color": settings.PWA_APP_THEME_COLOR,
        "config": {
            "tileUrl": tiles.url,
            "tileAttribution": tiles.attribution,
            "tileVector": tiles.vector,
            "tileMaxDataZoom": OWN_MAX_DATA_ZOOM,
            # Our own tiles also come a box at a time, for the phone's area (tile-pack.js).
            "tileBundleUrl": reverse("tile_bundle") if tiles.url == OWN_TILE_URL else None,
            # Loaded when Today draws its map (precached like the rest of the shell).
            "leafletUrl": static("vendor/leaflet/leaflet.js"),
            "vectorTilesUrl": static("vendor/protomaps-leaflet/protomaps-leaflet.js"),
            "superclusterUrl": static("vendor/supercluster/supercluster.min.js"),
        },
    }


@require_GET
@never_cache
@login_required
@csp_update({"img-src": ["blob:"]})  # a visit's photos, shown from IndexedDB before upload
def shell(request: HttpRequest) -> HttpResponse:
    """The app's one page; screens are drawn by the ES modules."""
    return HttpResponse(render_to_string("pwa/app.html", shell_context(), request=request))


def _app_static_paths() -> list[str]:
    found = finders.find("pwa/css/app.css")
    if not found:
        return []
    root = Path(found).parent.parent  # pwa/static/pwa
    # The modules are in the bundle: precaching them too would cost the first sync a round
    # trip per file on a slow link.
    files = sorted(p for p in root.rglob("*") if p.is_file() and "js" not in p.parts)
    own = [f"pwa/{p.relative_to(root).as_posix()}" for p in files]
    return [*own, BUNDLE, *VENDOR_FILES]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def precache_entries() -> list[dict[str, str]]:
    """[{url, revision}] for Workbox: revision = content hash, so a changed file is refetched."""
    entries = []
    for path in _app_static_paths():
        found = finders.find(path)
        if found:
            entries.append({"url": static(path), "revision": _digest(Path(found).read_bytes())})
    with translation.override(settings.LANGUAGE_CODE):
        page = render_to_string("pwa/app.html", shell_context())
    entries.append({"url": SHELL_URL, "revision": _digest(page.encode())})
    entries.append({"url": MANIFEST_URL, "revision": _digest(_manifest_bytes())})
    icon = finders.find(FAVICON_FILE)
    if icon:
        entries.append({"url": FAVICON_URL, "revision": _digest(Path(icon).read_bytes())})
    return entries


def _manifest_bytes() -> bytes:
    """django-pwa's manifest as it serves it (its revision follows the settings)."""
    from pwa.views import manifest  # type: ignore[import-untyped]  # django-pwa ships no types

    request = HttpRequest()
    request.method = "GET"
    return manifest(request).content


_cached_entries = lru_cache(maxsize=1)(precache_entries)


@require_GET
def precache(request: HttpRequest) -> HttpResponse:
    """A script the worker importScripts: the precache list and the tile server's URL.

    Its URL never changes; its content does whenever a file does, which is what makes the
    browser install a new worker (it byte-compares imported scripts on update checks).
    """
    entries = precache_entries() if settings.DEBUG else _cached_entries()
    body = (
        "// Generated by fieldcrm.phone.views.precache: the app shell's files and revisions.\n"
        f"self.FIELDCRM_PRECACHE = {json.dumps(entries)};\n"
        f"self.FIELDCRM_TILE_URL = {json.dumps(map_tiles().url)};\n"
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever the page links: the app's icon."""
    found = finders.find(FAVICON_FILE)
    if not found:
        raise Http404
    response = HttpResponse(Path(found).read_bytes(), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response
