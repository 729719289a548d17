"""The one geocoding interface: web leads and imports ask it; ``FIELDCRM_GEOCODER`` decides
who answers (the embedded index by default, an external Nominatim-compatible service, or
nobody). And the phones' per-territory offline address indexes, scoped like everything else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from fieldcrm.access import get_scoped, scoped
from fieldcrm.geocoding import embedded, nominatim, packs
from fieldcrm.geocoding.embedded import NOT_FOUND, GeocodeError, Match
from fieldcrm.territories.models import Territory
from fieldcrm.users.models import User

__all__ = ["GeocodeError", "Match", "address_locate", "addresses_locate"]


def geocoder_name() -> str:
    """``embedded``, ``nominatim`` or ``off`` (settings.FIELDCRM_GEOCODER)."""
    return str(settings.FIELDCRM_GEOCODER)


def address_locate(*, address: str) -> Match:
    """Where ``address`` is, and how precisely; NOT_FOUND for a blank address or when no
    geocoder is configured. Raises GeocodeError when the geocoder cannot answer."""
    address = address.strip()
    if not address or geocoder_name() == "off":
        return NOT_FOUND
    if geocoder_name() == "nominatim":
        return nominatim.geocode(address)
    return embedded.geocode(settings.FIELDCRM_GEOCODER_FILE, address)


def addresses_locate(*, addresses: Iterable[str]) -> dict[str, Match]:
    """Each distinct address's match (an import's rows). A geocoder that cannot answer
    answers nothing for the rest, rather than waiting out its timeout once per row."""
    found: dict[str, Match] = {}
    for address in addresses:
        if address in found:
            continue
        try:
            found[address] = address_locate(address=address)
        except GeocodeError:
            break
    return found


def _version(territory: Territory, build: str) -> str:
    extent = territory.boundary.extent if territory.boundary else ()
    text = f"{build}:{territory.pk}:" + ",".join(f"{v:.5f}" for v in extent)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def address_index_list(*, actor: User) -> list[dict[str, Any]]:
    """The territories whose offline address index the phone keeps, each with a version that
    changes when the index is rebuilt or the territory's boundary moves. Empty without an
    embedded index (the phone then fills no address)."""
    if geocoder_name() != "embedded":
        return []
    try:
        build = packs.build_id(settings.FIELDCRM_GEOCODER_FILE)
    except GeocodeError:
        return []
    territories = scoped(Territory, actor).only("pk", "name", "boundary").order_by("pk")
    return [{"territory_id": t.pk, "name": t.name, "version": _version(t, build)}
            for t in territories]  # fmt: skip


def address_index_get(*, actor: User, territory_id: int) -> dict[str, Any]:
    """One territory's offline address index (packs.py), through the access rule: another
    rep's territory answers as a missing one."""
    territory = get_scoped(Territory, actor, territory_id)
    if geocoder_name() != "embedded" or not territory.boundary:
        return {"territory_id": territory.pk, "version": "", "names": [], "addresses": [],
                "streets": [], "truncated": False, "bytes": 0}  # fmt: skip
    path = settings.FIELDCRM_GEOCODER_FILE
    try:
        build = packs.build_id(path)
        pack = packs.territory_pack(path, box=territory.boundary.extent)
    except GeocodeError:
        return {"territory_id": territory.pk, "version": "", "names": [], "addresses": [],
                "streets": [], "truncated": False, "bytes": 0}  # fmt: skip
    return {"territory_id": territory.pk, "version": _version(territory, build), **pack}
