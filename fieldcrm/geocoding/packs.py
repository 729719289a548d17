"""The phone's offline address index for one territory: what the reverse lookup on the phone
(pwa/static/pwa/js/reverse-geocode.js) needs to name the nearest address, and nothing more.

Shape (JSON, coordinates as integers of 1e-5°, about a metre):
``names``: ``[[street, town], …]``; ``addresses``: ``[[name index, house number, lat, lng], …]``;
``streets``: ``[[name index, [lat, lng, lat, lng, …]], …]`` (each way's vertices). Everything
in the territory's bounding box grown by ``MARGIN_M`` (a rep at its edge still gets the
address across the street), read through the index's R*Tree tables. At most ``BUDGET_BYTES``:
beyond it the rest is left out (``truncated``), streets first, so addresses stay.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from fieldcrm.geocoding.embedded import connection

BUDGET_BYTES = 5 * 1024 * 1024
MARGIN_M = 300
_E5 = 100_000


def build_id(path: Path) -> str:
    """The index's build id (changes with the extracts): part of every pack's version."""
    row = connection(path).execute("SELECT value FROM meta WHERE key = 'build_id'").fetchone()
    return row[0] if row else ""


def grown(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(west, south, east, north) grown by MARGIN_M on each side (metres, not degrees)."""
    west, south, east, north = box
    dlat = MARGIN_M / 111_320
    dlng = MARGIN_M / (111_320 * max(0.01, math.cos(math.radians((south + north) / 2))))
    return west - dlng, south - dlat, east + dlng, north + dlat


def territory_pack(
    path: Path, *, box: tuple[float, float, float, float], budget: int = BUDGET_BYTES
) -> dict[str, Any]:
    """The addresses and streets in ``box`` (west, south, east, north), grown by MARGIN_M."""
    db = connection(path)
    west, south, east, north = grown(box)
    inside = (south, north, west, east)
    names: dict[tuple[str, str], int] = {}

    def name_index(street: str, town: str) -> int:
        return names.setdefault((street, town), len(names))

    addresses = [
        [name_index(street, city), number, round(lat * _E5), round(lng * _E5)]
        for street, number, city, lat, lng in db.execute(
            "SELECT a.street, a.housenumber, a.city, a.lat, a.lng FROM address_box b "
            "JOIN address a ON a.id = b.id WHERE b.max_lat >= ? AND b.min_lat <= ? "
            "AND b.max_lng >= ? AND b.min_lng <= ? ORDER BY a.id",
            inside,
        )
    ]
    streets = []
    for name, city, path_text in db.execute(
        "SELECT s.name, s.city, s.path FROM street_box b JOIN street s ON s.id = b.id "
        "WHERE b.max_lat >= ? AND b.min_lat <= ? AND b.max_lng >= ? AND b.min_lng <= ? "
        "ORDER BY s.id",
        inside,
    ):
        coords = []
        for pair in path_text.split(";"):
            lat, lng = pair.split(",")
            coords += [round(float(lat) * _E5), round(float(lng) * _E5)]
        streets.append([name_index(name, city), coords])
    pack: dict[str, Any] = {"names": [list(n) for n in names], "addresses": addresses,
                            "streets": streets, "truncated": False}  # fmt: skip
    size = len(json.dumps(pack, separators=(",", ":")))
    while size > budget and (pack["streets"] or pack["addresses"]):
        # Drop a tenth at a time from the end (streets first): deterministic, few passes.
        key = "streets" if pack["streets"] else "addresses"
        del pack[key][len(pack[key]) * 9 // 10 :]
        pack["truncated"] = True
        size = len(json.dumps(pack, separators=(",", ":")))
    pack["bytes"] = size
    return pack
