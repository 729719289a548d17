"""Small builders for test data: shapes in degrees around (1.5, 42.5), named for what they are."""

from __future__ import annotations

from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from fieldcrm.accounts.models import Account
from fieldcrm.accounts.services import account_create
from fieldcrm.territories.models import Region, Territory
from fieldcrm.territories.services import territory_save


def square(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)


def make_territory(name: str, region: Region, bbox: tuple[float, float, float, float], reps=()):
    territory = territory_save(
        territory=Territory(name=name, region=region, boundary=square(*bbox))
    )
    territory.reps.set(reps)
    return territory


def make_account(
    name: str = "Shop", *, lng: float | None = 1.05, lat: float | None = 42.05, **fields
) -> Account:
    location = None if lng is None else Point(lng, lat, srid=4326)
    return account_create(fields={"name": name, "location": location, **fields})
