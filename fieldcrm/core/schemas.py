"""Schema pieces shared by every app's API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.contrib.gis.geos import Point
from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, Field, PlainSerializer, WithJsonSchema, field_validator

from fieldcrm.core.money import CURRENCIES

# The databases' integers: SQLite raises OverflowError beyond 64 bits in foreign-key and
# ``__in`` lookups (Django guards only plain field lookups), PostgreSQL refuses them.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _beyond_64_bits(value: Any) -> bool:
    if type(value) is int:
        return not INT64_MIN <= value <= INT64_MAX
    if isinstance(value, list | tuple | set | frozenset):
        return any(_beyond_64_bits(item) for item in value)
    return False


class Input(Schema):
    """Every schema the API reads (bodies, query filters): an integer anywhere in a field, in
    a list included, must fit 64 bits, or the field is refused with a 422 naming it."""

    @field_validator("*", mode="after")
    @classmethod
    def _fits_64_bits(cls, value: Any) -> Any:
        if _beyond_64_bits(value):
            raise ValueError(f"a whole number between {INT64_MIN} and {INT64_MAX}")
        return value


def _iso_4217(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return value


Currency = Annotated[
    str,
    Field(min_length=3, max_length=3, pattern="^[A-Z]{3}$", description="ISO 4217 code"),
    AfterValidator(_iso_4217),
]

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


def _utc(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("a date and time within years 1 to 9999") from None


# An instant sent by a client, kept in UTC: any valid offset is accepted, but databases
# refuse some (PostgreSQL's limit is ±15:59; ISO 8601 allows ±23:59). A time without an
# offset is in the server's time zone, as Django reads it.
Instant = Annotated[dt.datetime, AfterValidator(_utc)]


def _wall_clock(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError("a local time of day without a time zone, e.g. 09:30")
    return value


def _hhmm(value: dt.time) -> str:
    return value.isoformat(timespec="minutes" if not value.second else "seconds")


# Shifts, breaks and appointment windows are wall-clock times in the region's time zone.
# JSON Schema's "time" format demands an offset, so the wire type is a plain HH:MM string.
LocalTime = Annotated[
    dt.time,
    AfterValidator(_wall_clock),
    PlainSerializer(_hhmm, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$",
         "examples": ["09:30"]}
    ),
]  # fmt: skip


class LatLng(Schema):
    lat: Latitude
    lng: Longitude

    def to_point(self) -> Point:
        return Point(self.lng, self.lat, srid=4326)

    @staticmethod
    def from_point(point: Point | None) -> dict[str, float] | None:
        return None if point is None else {"lat": point.y, "lng": point.x}


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str


class ErrorOut(Schema):
    detail: list[ErrorItem] | str


def geojson_feature(geometry: dict[str, Any] | None, properties: dict[str, Any], fid: Any) -> dict:
    return {"type": "Feature", "id": str(fid), "geometry": geometry, "properties": properties}
