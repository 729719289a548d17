"""Schema pieces shared by every app's API."""

from __future__ import annotations

from typing import Annotated, Any

from django.contrib.gis.geos import Point
from ninja import Schema
from pydantic import Field

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


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
