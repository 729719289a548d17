"""Schema pieces shared by every app's API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.contrib.gis.geos import Point
from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, Field, PlainSerializer, WithJsonSchema

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
