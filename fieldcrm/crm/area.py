"""The accounts list's "inside a drawn area" filter (issue 16): the area's text and its checks.

An area travels as an *encoded polyline ring* (Google's polyline algorithm, precision 5, about a
metre): it is the list's GET parameter ``area`` and a segment's saved filter, so it must stay
short. A 500-corner ring is some 3,000 characters encoded, where the same ring as GeoJSON text
is 12,000 or more - beyond what a request line may carry (gunicorn refuses lines over 4,094
bytes) and beyond a segment's saved query. The format is well known (map tools read and write
it), so the field may be pasted as well as drawn.

The ring is closed (its last corner is its first), has 3 to 500 corners, each a longitude and
latitude in range, and does not cross itself (GEOS ``is_valid``)."""

from __future__ import annotations

from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_AREA_TEXT = 3000
MIN_CORNERS, MAX_CORNERS = 3, 500
PRECISION = 1e5


def _values(text: str) -> list[int]:
    """The signed integers an encoded polyline carries (ValueError when it is not one)."""
    values, shift, result = [], 0, 0
    for char in text:
        byte = ord(char) - 63
        if not 0 <= byte <= 63 or shift > 30:
            raise ValueError(char)
        result |= (byte & 0x1F) << shift
        shift += 5
        if byte < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift, result = 0, 0
    if shift:
        raise ValueError("unfinished")
    return values


def decode_ring(text: str) -> list[tuple[float, float]]:
    """The (lng, lat) corners of an encoded polyline (ValueError when it is not one)."""
    values = _values(text)
    if len(values) % 2:
        raise ValueError("odd")
    points, lat, lng = [], 0, 0
    for i in range(0, len(values), 2):
        lat += values[i]
        lng += values[i + 1]
        points.append((lng / PRECISION, lat / PRECISION))
    return points


def encode_ring(points: list[tuple[float, float]]) -> str:
    """The encoded polyline of (lng, lat) corners (the map's script does the same)."""
    out, last_lat, last_lng = [], 0, 0
    for lng, lat in points:
        ilat, ilng = round(lat * PRECISION), round(lng * PRECISION)
        for delta in (ilat - last_lat, ilng - last_lng):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        last_lat, last_lng = ilat, ilng
    return "".join(out)


def parse_area(text: str) -> Polygon:
    """The polygon an ``area`` parameter describes; ValidationError saying what is wrong."""
    text = text.strip()
    if len(text) > MAX_AREA_TEXT:
        raise ValidationError(
            _("The area is too long (at most %(max)s characters): draw fewer corners."),
            code="max_length", params={"max": MAX_AREA_TEXT},
        )  # fmt: skip
    try:
        points = decode_ring(text)
    except ValueError:
        raise ValidationError(
            _("This is not an area: draw one on the map, or paste an encoded polyline."),
            code="invalid",
        ) from None
    if len(points) < 2 or points[0] != points[-1]:
        raise ValidationError(_("The area must end where it starts (a closed ring)."),
                              code="open")  # fmt: skip
    corners = len(points) - 1
    if not MIN_CORNERS <= corners <= MAX_CORNERS:
        raise ValidationError(
            _("An area has %(min)s to %(max)s corners; this one has %(count)s."),
            code="corners", params={"min": MIN_CORNERS, "max": MAX_CORNERS, "count": corners},
        )  # fmt: skip
    if any(not (-180 <= lng <= 180 and -90 <= lat <= 90) for lng, lat in points):
        raise ValidationError(
            _("A corner of the area is off the map (longitude -180 to 180, latitude -90 to 90)."),
            code="range",
        )  # fmt: skip
    polygon = Polygon(points, srid=4326)
    if not polygon.valid:
        raise ValidationError(_("The area's edges cross each other: draw it again."),
                              code="self_intersection")  # fmt: skip
    return polygon
