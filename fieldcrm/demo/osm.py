"""Derive the demo data set from OpenStreetMap extracts (run once by a developer).

The result, ``fieldcrm/data/demo/demo.json.gz``, is committed with its ODbL attribution so the
project runs without ../shared. Everything random here is seeded: rebuilding gives the same file.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
from scipy.cluster.vq import kmeans2
from shapely.geometry import MultiPoint, Point, mapping
from shapely.ops import voronoi_diagram

ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"

AMENITIES = {
    "restaurant", "cafe", "bar", "pub", "fast_food", "pharmacy", "bank", "fuel", "dentist",
    "doctors", "clinic", "veterinary", "nightclub", "ice_cream", "car_wash", "car_rental",
    "theatre", "cinema", "marketplace", "biergarten", "food_court", "hospital",
}  # fmt: skip

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE = re.compile(r"^(?P<days>[A-Za-z,\- ]+)\s+(?P<times>[0-9:,\- ]+)$")


@dataclass(frozen=True)
class RegionSpec:
    name: str
    pbf: str
    timezone: str
    territories: tuple[str, ...]
    reps: tuple[str, ...]


REGIONS = (
    RegionSpec(
        "Andorra", "andorra.osm.pbf", "Europe/Andorra",
        ("Andorra North", "Andorra Centre", "Andorra South"), ("rep1", "rep2", "rep3"),
    ),
    RegionSpec(
        "Helsinki", "helsinki_centre.osm.pbf", "Europe/Helsinki",
        ("Helsinki West", "Helsinki Centre", "Helsinki East"), ("rep4", "rep5", "rep6"),
    ),
)  # fmt: skip


def parse_opening_hours(text: str) -> dict[str, list[list[str]]] | None:
    """The simple, common subset of OSM opening_hours; None when we cannot read it."""
    text = text.strip()
    if text == "24/7":
        return {d: [["00:00", "24:00"]] for d in WEEKDAYS}
    result: dict[str, list[list[str]]] = {}
    for rule in filter(None, (r.strip() for r in text.split(";"))):
        if rule.endswith(" off") or rule.startswith("PH"):
            continue
        match = _RULE.match(rule)
        if not match:
            return None
        days = _expand_days(match["days"])
        spans = [s.strip().split("-") for s in match["times"].split(",")]
        if days is None or any(len(s) != 2 for s in spans):
            return None
        for day in days:
            result[WEEKDAYS[day]] = [[a.zfill(5), b.zfill(5)] for a, b in spans]
    for spans in result.values():
        for span in spans:
            if span[1] <= span[0] and span[1] != "24:00":
                return None  # past midnight: not expressible as one day's window
    return result or None


def _expand_days(text: str) -> list[int] | None:
    days: list[int] = []
    for part in text.replace(" ", "").split(","):
        if "-" in part:
            first, last = part.split("-")
            if first not in DAYS or last not in DAYS:
                return None
            a, b = DAYS.index(first), DAYS.index(last)
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        elif part in DAYS:
            days.append(DAYS.index(part))
        else:
            return None
    return days


def default_hours(category: str) -> dict[str, list[list[str]]]:
    if category.startswith("amenity:") and category[8:] in {"restaurant", "bar", "pub"}:
        return {d: [["12:00", "23:00"]] for d in WEEKDAYS[:6]}
    if category == "office":
        return {d: [["08:30", "17:00"]] for d in WEEKDAYS[:5]}
    return {**{d: [["09:00", "19:00"]] for d in WEEKDAYS[:5]}, "sat": [["10:00", "16:00"]]}


def read_pois(pbf: Path) -> list[dict[str, Any]]:
    """Named shops, offices, crafts and customer-like amenities (nodes and area centroids)."""
    pois: list[dict[str, Any]] = []
    seen: set[tuple[str, int, int]] = set()
    processor = (
        osmium.FileProcessor(str(pbf))
        .with_locations()
        .with_areas()
        .with_filter(osmium.filter.KeyFilter("shop", "amenity", "office", "craft"))
    )
    # The processor yields nodes, ways, relations and areas; is_*() tell which (osmium's
    # stubs type them as a union that isinstance cannot narrow), so the object is Any here.
    obj: Any
    for obj in processor:
        tags = obj.tags
        name = tags.get("name")
        if not name or obj.is_relation():
            continue
        if "shop" in tags:
            category = f"shop:{tags['shop']}"
        elif "office" in tags:
            category = "office"
        elif "craft" in tags:
            category = f"craft:{tags['craft']}"
        elif tags.get("amenity") in AMENITIES:
            category = f"amenity:{tags['amenity']}"
        else:
            continue
        if obj.is_node():
            lng, lat, osm_id = obj.location.lon, obj.location.lat, f"n{obj.id}"
        elif obj.is_area():
            rings = [[(n.lon, n.lat) for n in ring] for ring in obj.outer_rings()]
            if not rings or len(rings[0]) < 4:
                continue
            xs, ys = zip(*rings[0], strict=True)
            lng, lat = sum(xs) / len(xs), sum(ys) / len(ys)
            osm_id = f"{'w' if obj.from_way() else 'r'}{obj.orig_id()}"
        else:
            continue
        key = (name, round(lng * 1e4), round(lat * 1e4))
        if key in seen:
            continue
        seen.add(key)
        street = " ".join(filter(None, (tags.get("addr:street"), tags.get("addr:housenumber"))))
        city = tags.get("addr:city", "")
        hours = (
            parse_opening_hours(tags.get("opening_hours", "")) if "opening_hours" in tags else None
        )
        pois.append(
            {
                "osm": osm_id,
                "name": name[:200],
                "category": category,
                "address": ", ".join(filter(None, (street, city)))[:300],
                "phone": (tags.get("phone") or tags.get("contact:phone") or "")[:40],
                "website": (tags.get("website") or tags.get("contact:website") or "")[:200],
                "lng": round(lng, 6),
                "lat": round(lat, 6),
                "opening_hours": hours or default_hours(category),
                "hours_from_osm": hours is not None,
            }
        )
    pois.sort(key=lambda p: p["osm"])
    return pois


def _to_local(points: np.ndarray, origin: tuple[float, float]) -> np.ndarray:
    """Equirectangular metres around ``origin``: fine for clustering a city or a valley."""
    scale = math.cos(math.radians(origin[1]))
    return np.column_stack(
        ((points[:, 0] - origin[0]) * 111_320 * scale, (points[:, 1] - origin[1]) * 110_540)
    )


def cut_territories(pois: list[dict[str, Any]], count: int, seed: int) -> tuple[Any, list[Any]]:
    """A region outline (buffered hull) cut into ``count`` Voronoi cells of k-means centres."""
    pts = np.array([(p["lng"], p["lat"]) for p in pois])
    origin = (float(pts[:, 0].mean()), float(pts[:, 1].mean()))
    local = _to_local(pts, origin)
    centres, _ = kmeans2(local, count, seed=seed, minit="++")
    scale = math.cos(math.radians(origin[1]))
    centres_deg = [(origin[0] + x / (111_320 * scale), origin[1] + y / 110_540) for x, y in centres]
    # ~800 m of margin around the outermost accounts, in degrees at this latitude.
    region = MultiPoint(pts.tolist()).convex_hull.buffer(0.008, quad_segs=4).simplify(0.0005)
    cells = voronoi_diagram(MultiPoint(centres_deg), envelope=region.envelope.buffer(0.1))
    territories = []
    for centre in centres_deg:
        cell = next(c for c in cells.geoms if c.contains(Point(centre)))
        territories.append(cell.intersection(region))
    # West to east, so names like "West/Centre/East" read right.
    territories.sort(key=lambda g: g.centroid.x)
    return region, territories


def build(osm_dir: Path) -> dict[str, Any]:
    """The whole demo data set as one JSON-ready dict."""
    regions: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    for index, spec in enumerate(REGIONS):
        pois = read_pois(osm_dir / spec.pbf)
        region_shape, cells = cut_territories(pois, len(spec.territories), seed=index + 1)
        rng = random.Random(f"demo-{spec.name}")
        reps = []
        for username, cell in zip(spec.reps, cells, strict=True):
            # A home base on the street network: the shop nearest the middle of the territory
            # (a cell's centre can fall on a mountainside, unreachable by road).
            middle = cell.representative_point()
            inside = [p for p in pois if cell.contains(Point(p["lng"], p["lat"]))] or pois
            home = min(inside, key=lambda p: Point(p["lng"], p["lat"]).distance(middle))
            reps.append({"username": username, "home": [home["lng"], home["lat"]]})
        regions.append(
            {
                "name": spec.name,
                "timezone": spec.timezone,
                "boundary": mapping(region_shape),
                "territories": [
                    {"name": name, "boundary": mapping(cell), "reps": [rep["username"]]}
                    for name, cell, rep in zip(spec.territories, cells, reps, strict=True)
                ],
                "reps": reps,
            }
        )
        for poi in pois:
            roll = rng.random()
            status = "customer" if roll < 0.5 else "prospect" if roll < 0.75 else "lead"
            tier = rng.choices("ABC", weights=(15, 45, 40))[0]
            accounts.append({**poi, "region": spec.name, "status": status, "tier": tier})
    return {"attribution": ATTRIBUTION, "regions": regions, "accounts": accounts}
