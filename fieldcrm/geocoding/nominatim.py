"""An external geocoder: a Nominatim-compatible search endpoint (``FIELDCRM_GEOCODER_URL``).

Optional (``FIELDCRM_GEOCODER=nominatim``), behind the same interface as the embedded index
(selectors.address_locate). ``GET <url>?q=<address>&format=jsonv2&limit=1`` answers a JSON
list of places with ``lat`` and ``lon`` as strings and a ``place_rank`` (30: a house, 26-27: a
street), which gives the match quality. The timeout is short: a lead form waits for us.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

from fieldcrm.geocoding.embedded import NOT_FOUND, GeocodeError, Match
from fieldcrm.geocoding.models import GeocodeQuality

USER_AGENT = "FieldCRM/0.1 (geocoding)"


def _quality(place: dict) -> GeocodeQuality:
    try:
        rank = int(place.get("place_rank", 0))
    except (TypeError, ValueError):
        rank = 0
    if rank >= 28 or place.get("addresstype") in ("house", "building"):
        return GeocodeQuality.HOUSE_NUMBER
    if rank >= 26 or place.get("addresstype") == "road":
        return GeocodeQuality.STREET
    return GeocodeQuality.PLACE


def geocode(address: str) -> Match:
    """The best match for ``address``; NOT_FOUND when nothing matches; GeocodeError when the
    service fails (unreachable, slow, an error answer or nonsense)."""
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
        return NOT_FOUND
    try:
        lat, lng = float(places[0]["lat"]), float(places[0]["lon"])
    except (KeyError, TypeError, ValueError) as exc:
        raise GeocodeError("unexpected answer") from exc
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise GeocodeError("coordinates out of range")
    label = places[0].get("display_name")
    return Match(lat, lng, _quality(places[0]), label if isinstance(label, str) else "")
