"""Fixtures for the pure map-builder tests: plain data, no Django, no database."""

from __future__ import annotations

import random

import pytest

from maps import AccountPoint, RegionShape, TerritoryShape

STATIC_URL = "/static/"
# An http URL on purpose: the "no external URL" checks must allow exactly this one.
TILE_URL = "http://tiles.test/{z}/{x}/{y}.png"
ATTRIBUTION = "© OpenStreetMap contributors"
MAP_KW = {"static_url": STATIC_URL, "tile_url": TILE_URL, "tile_attribution": ATTRIBUTION}


def square(west: float, south: float, size: float) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + size],
            [west, south + size], [west, south]]  # fmt: skip
    return {"type": "Polygon", "coordinates": [ring]}


def make_accounts(n: int, seed: int = 7) -> list[AccountPoint]:
    rnd = random.Random(seed)
    statuses = ("lead", "prospect", "customer")
    return [
        AccountPoint(
            id=str(i), name=f"Account {i}", lat=48.0 + rnd.random(), lng=2.0 + rnd.random(),
            status=statuses[i % 3], territory="t1" if i % 2 else "t2",
            rep="ann" if i % 2 else "bob",
            days_since_visit=rnd.choice([None, 5, 45, 200]),
            frequency_days=rnd.choice([None, 30]),
        )
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture
def map_kw() -> dict:
    return dict(MAP_KW)


@pytest.fixture
def territories() -> list[TerritoryShape]:
    return [
        TerritoryShape(id="t1", name="North", rep="ann", region="Île-de-France",
                       geojson=square(2.0, 48.5, 1.0), account_counts={"lead": 2, "customer": 1}),
        TerritoryShape(id="t2", name="South", rep="bob", region="Île-de-France",
                       geojson=square(2.0, 48.0, 0.5), account_counts={"prospect": 4}),
    ]  # fmt: skip


@pytest.fixture
def regions() -> list[RegionShape]:
    return [RegionShape(id="r1", name="Île-de-France", geojson=square(1.9, 47.9, 1.7))]
