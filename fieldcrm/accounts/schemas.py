"""Account API shapes: AccountIn (create), AccountPatch, AccountOut, AccountFilters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import EmailStr, Field, field_validator, model_validator

from fieldcrm.accounts.models import (
    Account,
    AccountMergeField,
    AccountStatus,
    AccountTier,
    Activity,
    ActivityKind,
    DuplicateReason,
)
from fieldcrm.core.schemas import Input, Instant, LatLng
from fieldcrm.geocoding.models import GeocodeQuality


class AccountBase(Input):
    status: AccountStatus | None = None
    address: str | None = Field(default=None, max_length=300)
    location: LatLng | None = None
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = None
    website: str | None = Field(default=None, max_length=200)
    owner_id: int | None = None
    tier: AccountTier | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    visit_frequency_days: int | None = Field(default=None, ge=1, le=730)
    opening_hours: dict[str, list[list[str]]] | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    custom_fields: dict[str, Any] | None = None
    source: str | None = Field(default=None, max_length=120)
    external_id: str | None = Field(default=None, max_length=120)


class AccountIn(AccountBase):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (optional).")
    name: str = Field(min_length=1, max_length=200)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class AccountPatch(AccountBase):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    version: int | None = Field(
        None, ge=1, description="The version the edit is based on; a stale one is refused (409)."
    )


class AccountOut(Schema):
    id: uuid.UUID
    name: str
    status: str
    address: str
    location: LatLng | None
    phone: str
    email: str
    website: str
    owner_id: int | None
    territory_id: int | None
    tier: str
    priority: int
    visit_frequency_days: int | None
    opening_hours: dict[str, list[list[str]]]
    tags: list[str]
    custom_fields: dict[str, Any]
    source: str
    external_id: str | None
    last_visited_at: dt.datetime | None
    visit_due_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    distance_m: float | None = None
    geocode_quality: GeocodeQuality | None = Field(
        None, description="How a geocoder placed it from its address; null: not geocoded"
    )
    location_needs_review: bool = Field(
        False, description="Geocoded to a town only, or not found: a person should place it"
    )

    @staticmethod
    def resolve_geocode_quality(obj: Account) -> str | None:
        return obj.geocode_quality or None

    @staticmethod
    def resolve_location(obj: Account) -> dict[str, float] | None:
        return LatLng.from_point(obj.location)

    @staticmethod
    def resolve_tags(obj: Account) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    @staticmethod
    def resolve_distance_m(obj: Account) -> float | None:
        distance = getattr(obj, "distance_m", None)
        return None if distance is None else round(float(getattr(distance, "m", distance)), 1)


class AccountPage(Schema):
    items: list[AccountOut]
    count: int


class AccountFilters(Input):
    q: str | None = Field(
        default=None, max_length=100, description="Text in name, address, email or phone"
    )
    status: list[AccountStatus] | None = None
    tag: str | None = Field(default=None, max_length=64)
    territory: int | None = Field(default=None, description="Assigned territory id")
    within_territory: int | None = Field(
        None, description="Inside this territory's boundary, whatever the assignment"
    )
    owner: int | None = None
    near: str | None = Field(
        None, description="lat,lng — orders by distance", examples=["42.5,1.5"]
    )
    radius_m: float | None = Field(default=None, gt=0, le=200_000, allow_inf_nan=False)
    bbox: str | None = Field(default=None, description="west,south,east,north in degrees")
    updated_since: Instant | None = None
    due: bool | None = Field(default=None, description="Due for a visit by their desired frequency")
    needs_review: bool | None = Field(
        default=None, description="Located by a geocoder from the town only, or not found"
    )
    segment: int | None = Field(
        default=None, ge=1,
        description="A saved segment's id (yours, or shared with your team): its filters too",
    )  # fmt: skip

    @model_validator(mode="after")
    def _radius_needs_near(self) -> AccountFilters:
        if self.radius_m is not None and self.near is None:
            raise ValueError("radius_m needs near=lat,lng")
        return self

    @field_validator("near")
    @classmethod
    def _near_is_lat_lng(cls, value: str | None) -> str | None:
        if value is not None:
            parse_near(value)
        return value

    @field_validator("bbox")
    @classmethod
    def _bbox_is_four_numbers(cls, value: str | None) -> str | None:
        if value is not None:
            parse_bbox(value)
        return value


def _numbers(text: str, count: int, what: str) -> list[float]:
    parts = text.split(",")
    if len(parts) != count:
        raise ValueError(f"expected {what}")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"expected {what} as numbers") from None
    if any(n != n or n in (float("inf"), float("-inf")) for n in numbers):
        raise ValueError("coordinates must be finite numbers")
    return numbers


def parse_near(text: str) -> tuple[float, float]:
    """'lat,lng' -> (lat, lng), range-checked."""
    lat, lng = _numbers(text, 2, "lat,lng")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError("lat must be within -90..90 and lng within -180..180")
    return lat, lng


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """'west,south,east,north' -> a range-checked tuple (west < east, south < north)."""
    west, south, east, north = _numbers(text, 4, "west,south,east,north")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError("need -180 <= west < east <= 180 and -90 <= south < north <= 90")
    return west, south, east, north


class ContactIn(Input):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1, max_length=200)
    role: str = Field("", max_length=120)
    phone: str = Field("", max_length=40)
    email: EmailStr | None = None
    notes: str = Field("", max_length=5000)
    is_primary: bool = False


class ContactPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = None
    notes: str | None = Field(default=None, max_length=5000)
    is_primary: bool | None = None


class ContactOut(Schema):
    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    role: str
    phone: str
    email: str
    notes: str
    is_primary: bool
    version: int
    updated_at: dt.datetime


class ActivityIn(Input):
    id: uuid.UUID | None = None
    kind: ActivityKind
    occurred_at: Instant | None = None
    subject: str = Field("", max_length=200)
    body: str = Field("", max_length=20_000)
    contact_id: uuid.UUID | None = None


class ActivityOut(Schema):
    id: uuid.UUID
    account_id: uuid.UUID
    kind: str
    actor_id: int | None
    actor_name: str
    occurred_at: dt.datetime
    subject: str
    body: str
    contact_id: uuid.UUID | None
    visit_id: uuid.UUID | None
    deal_id: int | None

    @staticmethod
    def resolve_actor_name(obj: Activity) -> str:
        return obj.actor.display_name if obj.actor else ""


class DuplicateQuery(Input):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    near: str | None = Field(
        None, description="lat,lng — with name: similar names within 100 m", examples=["42.5,1.5"]
    )
    exclude: uuid.UUID | None = Field(default=None, description="an account not to report")

    @field_validator("near")
    @classmethod
    def _near_is_lat_lng(cls, value: str | None) -> str | None:
        if value is not None:
            parse_near(value)
        return value


class DuplicateOut(Schema):
    id: uuid.UUID
    name: str
    why: list[DuplicateReason]


class AccountMergeIn(Input):
    merge_id: uuid.UUID = Field(description="the account merged away (it becomes a tombstone)")
    take: list[AccountMergeField] = Field(
        default_factory=list, max_length=len(AccountMergeField),
        description="fields whose value comes from the merged-away account",
    )  # fmt: skip
