"""The embedded geocoder's address index: one SQLite file built from OpenStreetMap extracts.

What goes in (pyosmium, one pass per extract with node locations):
- **addresses**: nodes, ways (buildings, shops, entrances…) and multipolygon relations
  (buildings with a courtyard, mapped as an outer ring and inner ones) with
  ``addr:housenumber`` and ``addr:street`` (or ``addr:place`` in villages without street
  names); a way's point is the mean of its nodes, a relation's the mean of its outer rings';
- **interpolated addresses**: an ``addr:interpolation`` way (``odd``, ``even``, ``all`` or a
  step) between two numbered nodes stands for the numbers between them; each one is placed
  along the way in proportion (as Nominatim does), after the real doors, which win a tie;
- **streets**: named ``highway=*`` ways with their geometry (a street is many ways);
- **places**: ``place=*`` nodes and ways with a name (city, town, village, suburb, …).

Every name is stored *folded* by the search app's one folding function (``search.text.fold``:
accents and case dropped, đ → d) and cut into words (``words``), so a lookup folds its query
the same way. An FTS5 trigram table over the distinct names answers misspelt ones; R*Tree
tables over addresses and street ways answer "what is inside this box" (the phone's
per-territory index).

Why a file and not tables in the main database: the index is derived data rebuilt in seconds
from the committed extracts, like the tiles; one file and one code path serve SpatiaLite and
PostGIS alike (no pg_trgm/FTS5 pair to keep in step), a build is atomic (written beside the
old file and renamed over it, so a reader never sees half of it), and backups do not carry
it. Built by ``make setup`` and ``manage.py build_geocoder``.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fieldcrm.core.errors import DomainError
from fieldcrm.search.text import fold

# 2: relations' and interpolation lines' addresses (the phones refetch their indexes).
SCHEMA_VERSION = "2"
_WORD = re.compile(r"\w+")
# Places by how much of an address they name: a city outranks a hamlet of the same name.
PLACE_RANK = {
    "city": 1, "town": 2, "village": 3, "municipality": 3, "borough": 4, "suburb": 4,
    "quarter": 5, "neighbourhood": 6, "hamlet": 6, "locality": 7, "isolated_dwelling": 8,
    "square": 8,
}  # fmt: skip
_HIGHWAYS_WITHOUT_ADDRESSES = {"motorway", "motorway_link", "trunk_link", "proposed", "platform"}
_INTERPOLATION_STEP = {"odd": 2, "even": 2, "all": 1}
# A longer gap is a mapping error (a typo in an end's number), not a street of 500 doors.
MAX_INTERPOLATED = 200

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE address (
    id INTEGER PRIMARY KEY, street TEXT NOT NULL, street_key TEXT NOT NULL,
    housenumber TEXT NOT NULL, number_key TEXT NOT NULL, city TEXT NOT NULL,
    postcode TEXT NOT NULL, lat REAL NOT NULL, lng REAL NOT NULL
);
CREATE TABLE street (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL, city TEXT NOT NULL,
    length_m REAL NOT NULL, lat REAL NOT NULL, lng REAL NOT NULL,
    path TEXT NOT NULL  -- "lat,lng;lat,lng;…" at 1e-6°, the way's vertices
);
CREATE TABLE place (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL, kind TEXT NOT NULL,
    rank INTEGER NOT NULL, lat REAL NOT NULL, lng REAL NOT NULL
);
CREATE VIRTUAL TABLE name_fts USING fts5(name_key, tokenize = 'trigram');
CREATE VIRTUAL TABLE address_box USING rtree(id, min_lat, max_lat, min_lng, max_lng);
CREATE VIRTUAL TABLE street_box USING rtree(id, min_lat, max_lat, min_lng, max_lng);
"""
INDEXES = """
CREATE INDEX address_street ON address (street_key, number_key);
CREATE INDEX street_name ON street (name_key);
CREATE INDEX place_name ON place (name_key);
"""


@lru_cache(maxsize=100_000)
def words(text: str) -> str:
    """``text`` folded (search.text.fold) and reduced to its words, one space apart:
    "Carretera d'Engolasters" → "carretera d engolasters"."""
    return " ".join(_WORD.findall(fold(text)))


def number_key(housenumber: str) -> str:
    """A house number as it is looked for: folded, no spaces ("12 B" → "12b")."""
    return "".join(_WORD.findall(fold(housenumber)))


@dataclass
class _Collected:
    addresses: list[tuple[str, str, str, str, float, float]]  # street, number, city, pc, lat, lng
    streets: list[tuple[str, list[tuple[float, float]]]]  # name, [(lat, lng)]
    places: list[tuple[str, str, float, float]]  # name, kind, lat, lng
    # Between the real doors: kept apart so that a real door of the same number always wins.
    interpolated: list[tuple[str, str, str, str, float, float]] = field(default_factory=list)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    import math

    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def _tag(tags: Any, key: str) -> str:
    return str(tags.get(key) or "").strip()


def _interpolate(
    tags: Any, refs: Sequence[int], points: Sequence[tuple[float, float] | None],
    doors: dict[int, tuple[str, str, str, str]],
) -> list[tuple[str, str, str, str, float, float]]:  # fmt: skip
    """The numbers an ``addr:interpolation`` way stands for, each placed along the way between
    the two numbered nodes around it in proportion to its number. ``doors`` are the extract's
    numbered nodes by id (street, number, city, postcode); an end without a plain number, or
    a way naming no street, gives nothing (Nominatim skips those too)."""
    kind = _tag(tags, "addr:interpolation")
    step = _INTERPOLATION_STEP.get(kind) or (int(kind) if kind.isdigit() and kind != "0" else 0)
    if not step:
        return []  # "alphabetic" (12a, 12b…) and unknown kinds
    # Cumulative metres along the way, at each node with a location.
    along: list[tuple[int, float, tuple[float, float]]] = []  # node index, metres, point
    total = 0.0
    for i, point in enumerate(points):
        if point is None:
            continue
        if along:
            total += _metres(along[-1][2], point)
        along.append((i, total, point))
    ends = [(k, doors[refs[i]]) for k, (i, _m, _p) in enumerate(along) if refs[i] in doors]
    out = []
    for (ka, a), (kb, b) in zip(ends, ends[1:], strict=False):
        if not (a[1].isdigit() and b[1].isdigit()):
            continue
        na, nb = int(a[1]), int(b[1])
        street = _tag(tags, "addr:street") or a[0] or b[0]
        if not street or na == nb or abs(nb - na) > MAX_INTERPOLATED * step:
            continue
        sign = 1 if nb > na else -1
        start, stop = along[ka][1], along[kb][1]
        for n in range(na + sign * step, nb, sign * step):
            if kind == "odd" and n % 2 == 0 or kind == "even" and n % 2 == 1:
                continue
            target = start + (stop - start) * (n - na) / (nb - na)
            for k in range(ka, kb):  # the segment holding the target distance
                (_i, m0, p0), (_j, m1, p1) = along[k], along[k + 1]
                if m1 >= target:
                    t = 0.0 if m1 == m0 else (target - m0) / (m1 - m0)
                    lat, lng = p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t
                    out.append((street, str(n), a[2] or b[2], a[3] or b[3], lat, lng))
                    break
    return out


def _collect(source: Path, into: _Collected) -> int:
    """Read one extract into ``into``; returns the objects read."""
    import osmium

    wanted = osmium.filter.KeyFilter("addr:housenumber", "addr:interpolation", "highway", "place")
    # Multipolygon relations with an address are assembled into areas (their member ways
    # carry no tags of their own, so they are read for the assembly only).
    processor = (
        osmium.FileProcessor(str(source)).with_locations()
        .with_areas(osmium.filter.KeyFilter("addr:housenumber")).with_filter(wanted)
    )  # fmt: skip
    seen = 0
    # Numbered nodes by id, for the interpolation ways read after them (a .osm.pbf lists
    # nodes before ways); street, number, city, postcode.
    doors: dict[int, tuple[str, str, str, str]] = {}
    for obj in processor:
        seen += 1
        tags = obj.tags
        if isinstance(obj, osmium.osm.Node):
            points = [(obj.location.lat, obj.location.lon)] if obj.location.valid() else []
        elif isinstance(obj, osmium.osm.Way):
            if "addr:interpolation" in tags:
                refs = [n.ref for n in obj.nodes]
                where = [(n.lat, n.lon) if n.location.valid() else None for n in obj.nodes]
                into.interpolated.extend(_interpolate(tags, refs, where, doors))
                continue
            points = [(n.lat, n.lon) for n in obj.nodes if n.location.valid()]
        elif isinstance(obj, osmium.osm.Area):
            if obj.from_way():
                continue  # a closed way: already read as the way itself
            # A ring is closed (its last node is its first): counted once in the mean.
            points = []
            for ring in obj.outer_rings():
                points += [(n.lat, n.lon) for n in ring if n.location.valid()][1:]
        else:
            continue  # relations themselves: their areas above; boundaries are not addresses
        if not points:
            continue
        lat = sum(p[0] for p in points) / len(points)
        lng = sum(p[1] for p in points) / len(points)
        number = _tag(tags, "addr:housenumber")
        street = _tag(tags, "addr:street") or _tag(tags, "addr:place")
        if number and isinstance(obj, osmium.osm.Node):
            doors[obj.id] = (street, number, _tag(tags, "addr:city"), _tag(tags, "addr:postcode"))
        if number and street:
            city, postcode = _tag(tags, "addr:city"), _tag(tags, "addr:postcode")
            into.addresses.append((street, number, city, postcode, lat, lng))
        if isinstance(obj, osmium.osm.Area):
            continue  # a building's name is no street or place
        name = _tag(tags, "name")
        if not name:
            continue
        highway = tags.get("highway")
        if (
            isinstance(obj, osmium.osm.Way)
            and highway
            and highway not in (_HIGHWAYS_WITHOUT_ADDRESSES)
        ):
            into.streets.append((name, points))
        place = tags.get("place")
        if place in PLACE_RANK:
            into.places.append((name, place, lat, lng))
    return seen


class _Places:
    """The nearest town-like place to a point (a grid of 0.1° cells, so a country's extract
    is not a scan per street)."""

    def __init__(self, places: Iterable[tuple[str, str, float, float]]) -> None:
        self.cells: dict[tuple[int, int], list[tuple[str, float, float]]] = {}
        for name, kind, lat, lng in places:
            if PLACE_RANK[kind] <= 4:
                self.cells.setdefault((int(lat * 10), int(lng * 10)), []).append((name, lat, lng))

    def nearest(self, lat: float, lng: float) -> str:
        ci, cj = int(lat * 10), int(lng * 10)
        found = [
            (_metres((lat, lng), (plat, plng)), name)
            for di in (-1, 0, 1)
            for dj in (-1, 0, 1)
            for name, plat, plng in self.cells.get((ci + di, cj + dj), ())
        ]
        return min(found)[1] if found else ""


def _write(db: sqlite3.Connection, data: _Collected, sources: Sequence[Path]) -> dict[str, int]:
    places = _Places(data.places)
    db.executescript(SCHEMA)
    rows: list[tuple[int, str, str, str, str, str, str, float, float]] = []
    seen: set[tuple[str, str, str]] = set()
    interpolated = 0
    both = [*data.addresses, *data.interpolated]
    for i, (street, number, city, postcode, lat, lng) in enumerate(both):
        city = city or places.nearest(lat, lng)
        # A shop's node inside its tagged building: one address, the first one read.
        key = (words(street), number_key(number), words(city))
        if key in seen:
            continue
        seen.add(key)
        interpolated += i >= len(data.addresses)
        rows.append((len(rows) + 1, street, key[0], number, key[1], city, postcode.strip(),
                     lat, lng))  # fmt: skip
    db.executemany("INSERT INTO address VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany(
        "INSERT INTO address_box VALUES (?, ?, ?, ?, ?)",
        ((r[0], r[7], r[7], r[8], r[8]) for r in rows),
    )
    streets, boxes = [], []
    for i, (name, points) in enumerate(data.streets, start=1):
        middle = points[len(points) // 2]
        length = sum(_metres(a, b) for a, b in zip(points, points[1:], strict=False))
        path = ";".join(f"{lat:.6f},{lng:.6f}" for lat, lng in points)
        streets.append((i, name, words(name), places.nearest(*middle), length, *middle, path))
        lats, lngs = [p[0] for p in points], [p[1] for p in points]
        boxes.append((i, min(lats), max(lats), min(lngs), max(lngs)))
    db.executemany("INSERT INTO street VALUES (?, ?, ?, ?, ?, ?, ?, ?)", streets)
    db.executemany("INSERT INTO street_box VALUES (?, ?, ?, ?, ?)", boxes)
    db.executemany(
        "INSERT INTO place VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((i, name, words(name), kind, PLACE_RANK[kind], lat, lng)
         for i, (name, kind, lat, lng) in enumerate(data.places, start=1)),
    )  # fmt: skip
    db.execute(
        "INSERT INTO name_fts (name_key) SELECT name_key FROM street UNION "
        "SELECT street_key FROM address UNION SELECT name_key FROM place"
    )
    db.executescript(INDEXES)
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes())
    meta = {
        "schema": SCHEMA_VERSION,
        # Changes whenever the extracts do: the phones' per-territory indexes carry it.
        "build_id": digest.hexdigest()[:16] + SCHEMA_VERSION,
        "sources": ", ".join(s.name for s in sources),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    return {"addresses": len(rows), "streets": len(streets), "places": len(data.places),
            "interpolated": interpolated}  # fmt: skip


def geocoder_build(
    *, sources: Sequence[Path], output: Path,
    progress: Callable[[str, int, int], None] = lambda step, done, total: None,
) -> dict[str, int]:  # fmt: skip
    """Build the address index ``output`` from ``sources`` (.osm.pbf); returns its counts.
    ``progress(step, done, total)`` is told each extract read and the final write."""
    if not sources:
        raise DomainError("sources", "name at least one .osm.pbf file")
    for source in sources:
        if not source.is_file():
            raise DomainError("sources", f"{source}: no such file")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    data = _Collected([], [], [])
    steps = len(sources) + 1
    try:
        for done, source in enumerate(sources):
            progress(source.name, done, steps)
            try:
                _collect(source, data)
            except RuntimeError as exc:  # pyosmium: not an OSM file, truncated…
                raise DomainError("sources", f"{source}: {exc}") from exc
        progress("index", len(sources), steps)
        db = sqlite3.connect(partial)
        try:
            with db:
                counts = _write(db, data, sources)
            db.execute("VACUUM")
        finally:
            db.close()
        partial.replace(output)
        progress("done", steps, steps)
    finally:
        partial.unlink(missing_ok=True)
    return counts
