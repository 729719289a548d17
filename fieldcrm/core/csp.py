"""The Content-Security-Policy: django-csp's middleware, told about the tile server.

The policy itself is `CONTENT_SECURITY_POLICY` in settings.py: scripts only from our origin
or with the request's nonce (folium's inline code on the map pages), never `'unsafe-inline'`.
What this module adds:

- the tile server's origin, read from settings on every response (tests point it at the live
  server): images may come from it, and the service worker may connect to it, since it
  fetches tiles itself to cache them and a worker's fetches obey its own script's policy;
  pages may connect to it too when its tiles are vector ones (fetched by script). The app's
  own tiles (the default) are our origin: 'self' covers them;
- `framed_by_own_pages`, for the map pages shown in our iframes: X-Frame-Options SAMEORIGIN
  and `frame-ancestors 'self'` together (everything else may not be framed at all);
- `nonce(request)`, the nonce a view puts on its inline scripts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from csp.constants import SELF
from csp.decorators import csp_replace
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.clickjacking import xframe_options_sameorigin

from fieldcrm.core.tiles import map_tiles

SERVICE_WORKER_URL_NAME = "serviceworker"  # django-pwa's /serviceworker.js


def tile_source(tile_url: str) -> str | None:
    """The CSP source of a Leaflet tile URL template, or None when it is our own origin.

    `https://{s}.tile.example.org/{z}/{x}/{y}.png` → `https://*.tile.example.org`: CSP allows a
    wildcard only as the leftmost label, so every label up to the last templated one becomes it.
    """
    parts = urlsplit(tile_url)
    if not parts.netloc:
        return None  # relative: served by us, 'self' covers it
    labels = parts.netloc.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1 :]]
        if len(labels) < 3:
            raise ImproperlyConfigured(
                f"FIELDCRM_TILE_URL {tile_url!r}: a templated host needs a fixed domain after it"
            )
    return f"{parts.scheme}://{'.'.join(labels)}"


def _added(update: dict[str, Any] | None, directive: str, source: str) -> dict[str, Any]:
    merged = dict(update or {})
    current = merged.get(directive) or []
    merged[directive] = [*([current] if isinstance(current, str) else current), source]
    return merged


class PolicyMiddleware(CSPMiddleware):
    """django-csp's CSPMiddleware plus the tile server's origin (see the module docstring)."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        source = tile_source(settings.FIELDCRM_TILE_URL)
        if source:
            parts.update = _added(parts.update, "img-src", source)
            match = getattr(request, "resolver_match", None)
            # Vector tiles are fetched by the page's script (protomaps-leaflet), not as images.
            if map_tiles().vector or (
                match is not None and match.url_name == SERVICE_WORKER_URL_NAME
            ):
                parts.update = _added(parts.update, "connect-src", source)
        return parts


def framed_by_own_pages(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A page our own pages show in an iframe (the maps): framable by our origin only."""
    return xframe_options_sameorigin(csp_replace({"frame-ancestors": [SELF]})(view))


def nonce(request: HttpRequest) -> str:
    """This request's CSP nonce; asking for it puts it in the response's policy."""
    return str(request.csp_nonce)  # type: ignore[attr-defined]  # set by PolicyMiddleware
