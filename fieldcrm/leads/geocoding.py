"""A small adapter for a Nominatim-compatible search endpoint (``FIELDCRM_GEOCODER_URL``).

``GET <url>?q=<address>&format=jsonv2&limit=1`` answers a JSON list of places with ``lat`` and
``lon`` as strings. The timeout is short: a lead form waits for us.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

USER_AGENT = "FieldCRM/0.1 (lead capture)"


class GeocodeError(Exception):
    """The geocoder failed (unreachable, slow, an error answer or nonsense)."""


def is_configured() -> bool:
    return bool(settings.FIELDCRM_GEOCODER_URL)


def geocode(address: str) -> tuple[float, float] | None:
    """(lat, lng) of the best match for ``address``; None when nothing matches."""
    base = settings.FIELDCRM_GEOCODER_URL
    query = urllib.parse.urlencode({"q": address, "format": "jsonv2", "limit": 1})
    url = f"{base}{'&' if '?' in base else '?'}{query}"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(  # noqa: S310 - the URL is the admin's configuration
            request, timeout=settings.FIELDCRM_GEOCODER_TIMEOUT_S
        ) as response:
            places = json.loads(response.read(1_000_000))
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise GeocodeError(str(getattr(exc, "reason", exc)) or type(exc).__name__) from exc
    if not isinstance(places, list):
        raise GeocodeError("unexpected answer")
    if not places:
        return None
    try:
        lat, lng = float(places[0]["lat"]), float(places[0]["lon"])
    except (KeyError, TypeError, ValueError) as exc:
        raise GeocodeError("unexpected answer") from exc
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise GeocodeError("coordinates out of range")
    return lat, lng
