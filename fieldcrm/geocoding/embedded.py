"""Forward geocoding over the embedded address index (index.py), nothing outside the app.

An address is read the way people write them in the demo regions ("Avinguda Meritxell 92,
AD500 Andorra la Vella", "Mannerheimintie 5, 00100 Helsinki"): its house number is the first
short number, a postcode is AD + 3 digits or 5 digits, the street is the longest run of words
of one comma-separated part that names a street in the index, and a town is any other run of
words naming a place (or a street's town). In that order of precision:

1. the street and its number (a range such as "87-89" holds 87 and 89) → ``house_number``;
2. the street without that number: the nearest known number on it, else the middle of its
   longest way → ``street``;
3. a place (the highest-ranked: a city before a hamlet) → ``place``;
4. nothing → ``none`` (no location).

A street name with a typo is looked up in the FTS5 trigram table and accepted when at least
``FUZZY_THRESHOLD`` of its trigrams are in the query (search.text's trigrams and measure).
Where a street name exists in several towns, the town named in the address decides, else the
first found (deterministic: ids follow the extract's order).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fieldcrm.geocoding.index import number_key, words
from fieldcrm.geocoding.models import GeocodeQuality
from fieldcrm.search.text import trigrams

FUZZY_THRESHOLD = 0.7
_NUMBER = re.compile(r"^\d{1,4}[a-z]?$")
_POSTCODE = re.compile(r"^(ad\d{3}|\d{5})$")
_RANGE = re.compile(r"^\s*(\d+)\s*[-–/]\s*(\d+)\s*$")
# Street types as people shorten them (Catalan, Spanish, French): the index has them in full.
ABBREVIATIONS = {
    "av": "avinguda", "avda": "avinguda", "avgda": "avinguda", "c": "carrer",
    "ctra": "carretera", "pl": "placa", "pca": "placa", "pg": "passeig", "bd": "boulevard",
}  # fmt: skip


@dataclass(frozen=True)
class Match:
    """A geocoder's answer: where (None when not found), how precisely, and what it found."""

    lat: float | None
    lng: float | None
    quality: GeocodeQuality
    label: str = ""

    @property
    def found(self) -> bool:
        return self.lat is not None


NOT_FOUND = Match(None, None, GeocodeQuality.NONE)
_local = threading.local()


class GeocodeError(Exception):
    """The geocoder could not answer (no index; an external one unreachable, slow or odd)."""


class IndexMissing(GeocodeError):
    """No address index at the configured path (make setup / manage.py build_geocoder)."""

    def __str__(self) -> str:
        return f"no address index at {self.args[0]} (make setup, or manage.py build_geocoder)"


def connection(path: Path) -> sqlite3.Connection:
    """A read-only connection to the index, one per thread, reopened when the file was
    replaced (a rebuild renames a new file over it)."""
    try:
        stat = Path(path).stat()
    except FileNotFoundError:
        raise IndexMissing(str(path)) from None
    key = (str(path), stat.st_ino, stat.st_mtime_ns)
    cached = getattr(_local, "connections", {})
    if key not in cached:
        for old in cached.values():
            old.close()
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        cached = {key: db}
        _local.connections = cached
        _cached_geocode.cache_clear()
    return cached[key]


def _phrases(tokens: list[str]) -> list[str]:
    """Every run of consecutive words, longest first."""
    return [
        " ".join(tokens[i : i + size])
        for size in range(len(tokens), 0, -1)
        for i in range(len(tokens) - size + 1)
    ]


@dataclass
class _Parsed:
    parts: list[list[str]]  # each comma-separated part's words, without number and postcode
    number: str
    postcode: str


def parse(address: str) -> _Parsed:
    parsed = _Parsed([], "", "")
    for raw in re.split(r"[,;\n]", address):
        tokens = words(raw).split()
        kept = []
        for token in tokens:
            if not parsed.postcode and _POSTCODE.match(token):
                parsed.postcode = token
            elif not parsed.number and _NUMBER.match(token):
                parsed.number = token  # "Carrer Major 3", "3 Carrer Major", "Carrer Major, 3"
            else:
                kept.append(token)
        if kept:
            if kept[0] in ABBREVIATIONS:
                kept[0] = ABBREVIATIONS[kept[0]]
            parsed.parts.append(kept)
    return parsed


def _names(db: sqlite3.Connection, phrases: list[str]) -> set[str]:
    """Which of ``phrases`` are street names (of a way, or of addresses: addr:place)."""
    if not phrases:
        return set()
    marks = ",".join("?" * len(phrases))
    sql = (f"SELECT name_key FROM street WHERE name_key IN ({marks}) UNION "  # noqa: S608
           f"SELECT street_key FROM address WHERE street_key IN ({marks})")  # fmt: skip
    return {row[0] for row in db.execute(sql, phrases * 2)}


def _street_in(db: sqlite3.Connection, parts: list[list[str]]) -> tuple[str, int] | None:
    """(the street's key, the part it was found in): the longest phrase naming a street."""
    best: tuple[int, int, str, int] | None = None
    for index, tokens in enumerate(parts):
        phrases = _phrases(tokens)
        found = _names(db, phrases)
        for phrase in phrases:
            if phrase in found:
                score = (len(phrase.split()), len(phrase), phrase, index)
                if best is None or score[:2] > best[:2]:
                    best = score
                break
    return (best[2], best[3]) if best else None


@lru_cache(maxsize=100_000)
def _grams(text: str) -> frozenset[str]:
    return frozenset(trigrams(text))


def _fuzzy_street(
    db: sqlite3.Connection, parts: list[list[str]], places: set[str]
) -> tuple[str, int] | None:
    """A street whose name is in the address with a typo or two (FTS5 trigram candidates),
    scored as search.text.similarity does: the share of the name's trigrams in the part."""
    best: tuple[float, int, str, int] | None = None  # score, length, name, part
    for index, tokens in enumerate(parts):
        text = " ".join(tokens)
        if text in places:
            continue  # a town, not a misspelt street
        have = _grams(text)
        query = " OR ".join(f'"{g}"' for g in sorted(g for g in have if " " not in g))
        if not query:
            continue
        rows = db.execute(
            "SELECT name_key FROM name_fts WHERE name_fts MATCH ? ORDER BY rank LIMIT 200",
            (query,),
        )
        for (name,) in rows:
            wanted = _grams(name)
            share = 1.0 if name in text else len(wanted & have) / max(1, len(wanted))
            score = (share, len(name), name, index)
            if share >= FUZZY_THRESHOLD and (best is None or score[:2] > best[:2]):
                best = score
    if best is None:
        return None
    found = db.execute(
        "SELECT 1 FROM street WHERE name_key = ? UNION SELECT 1 FROM address WHERE street_key = ?",
        (best[2], best[2]),
    ).fetchone()
    return (best[2], best[3]) if found else None


def _place_names(db: sqlite3.Connection, texts: list[str]) -> set[str]:
    marks = ",".join("?" * len(texts))
    sql = f"SELECT name_key FROM place WHERE name_key IN ({marks})"  # noqa: S608 - marks only
    return {row[0] for row in db.execute(sql, texts)}


def _towns(db: sqlite3.Connection, parts: list[list[str]], street: str | None) -> list[str]:
    """Phrases of the address (outside the street's own words) that name a place."""
    phrases: list[str] = []
    for tokens in parts:
        text = " ".join(tokens)
        if street and street in text:
            text = text.replace(street, " ")
        phrases.extend(_phrases(text.split()))
    return sorted(set(phrases), key=lambda p: (-len(p), p))


def _numbers(housenumber: str) -> set[str]:
    """The numbers an address holds: "87-89" → {87, 89}, "12 B" → {12b}."""
    found = _RANGE.match(housenumber)
    if found:
        return {found[1], found[2]}
    return {number_key(housenumber)}


def _leading(key: str) -> int | None:
    digits = re.match(r"\d+", key)
    return int(digits[0]) if digits else None


def _by_street(db: sqlite3.Connection, street: str, number: str, towns: list[str]) -> Match | None:
    rows = db.execute(
        "SELECT street, housenumber, city, lat, lng, id FROM address WHERE street_key = ? "
        "ORDER BY id",
        (street,),
    ).fetchall()
    in_town = [r for r in rows if words(r[2]) in towns]
    rows = in_town or rows
    if number:
        for name, housenumber, city, lat, lng, _id in rows:
            if number in _numbers(housenumber):
                label = ", ".join(x for x in (f"{name} {housenumber}", city) if x)
                return Match(lat, lng, GeocodeQuality.HOUSE_NUMBER, label)
    ways = db.execute(
        "SELECT name, city, lat, lng FROM street WHERE name_key = ? ORDER BY length_m DESC, id",
        (street,),
    ).fetchall()
    ways = [w for w in ways if words(w[1]) in towns] or ways
    wanted = _leading(number) if number else None
    if wanted is not None and rows:
        # The nearest known number on the street: closer to the door than its middle.
        def distance(row: tuple) -> tuple[int, int]:
            have = _leading(number_key(row[1]))
            return (abs(have - wanted) if have is not None else 10**6, row[5])

        name, _housenumber, city, lat, lng, _id = min(rows, key=distance)
        return Match(lat, lng, GeocodeQuality.STREET, ", ".join(x for x in (name, city) if x))
    if ways:
        name, city, lat, lng = ways[0]
        return Match(lat, lng, GeocodeQuality.STREET, ", ".join(x for x in (name, city) if x))
    if rows:
        name, _housenumber, city, lat, lng, _id = rows[0]
        return Match(lat, lng, GeocodeQuality.STREET, ", ".join(x for x in (name, city) if x))
    return None


def geocode(path: Path, address: str) -> Match:
    """The best match for ``address`` in the index at ``path``; NOT_FOUND when none."""
    connection(path)  # reopens (and forgets cached answers) after a rebuild
    return _cached_geocode(str(path), address.strip()[:300])


@lru_cache(maxsize=20_000)
def _cached_geocode(path: str, address: str) -> Match:
    # An import file repeats its towns and streets: the same text is looked up once.
    db = connection(Path(path))
    parsed = parse(address)
    if not parsed.parts:
        return NOT_FOUND
    street = _street_in(db, parsed.parts)
    if street is None:
        towns_only = _place_names(db, [" ".join(tokens) for tokens in parsed.parts])
        street = _fuzzy_street(db, parsed.parts, towns_only)
    phrases = _towns(db, parsed.parts, street[0] if street else None)
    places = db.execute(
        f"SELECT name, name_key, lat, lng FROM place WHERE name_key IN "  # noqa: S608 - marks only
        f"({','.join('?' * len(phrases))}) ORDER BY rank, id",
        phrases,
    ).fetchall()
    towns = [p[1] for p in places] + phrases
    if street is not None:
        found = _by_street(db, street[0], parsed.number, towns)
        if found is not None:
            return found
    if places:
        name, _key, lat, lng = places[0]
        return Match(lat, lng, GeocodeQuality.PLACE, name)
    return NOT_FOUND
