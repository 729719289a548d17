"""Region and territory API shapes; boundaries are GeoJSON (Polygon or MultiPolygon, SRID 4326)."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.core.exceptions import ValidationError
from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from fieldcrm.accounts.models import Account
from fieldcrm.core.schemas import Input
from fieldcrm.territories.models import Region, Territory, validate_timezone

GeoJSON = dict[str, Any]


def boundary_geojson(geom: Any) -> GeoJSON | None:
    return None if geom is None else json.loads(geom.geojson)


def _check_timezone(value: str | None) -> str | None:
    if value is not None:
        try:
            validate_timezone(value)
        except ValidationError:
            raise ValueError("unknown time zone") from None
    return value


class RegionIn(Input):
    name: str = Field(min_length=1, max_length=120)
    boundary: GeoJSON | None = Field(default=None, description="GeoJSON Polygon or MultiPolygon")
    manager_id: int | None = None
    timezone: str = Field("UTC", max_length=64, examples=["Europe/Andorra"])

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        return _check_timezone(value)


class RegionPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    boundary: GeoJSON | None = None
    manager_id: int | None = None
    timezone: str | None = Field(default=None, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        return _check_timezone(value)


class RegionOut(Schema):
    id: int
    name: str
    boundary: GeoJSON | None
    manager_id: int | None
    timezone: str
    territory_count: int
    account_count: int

    @staticmethod
    def resolve_boundary(obj: Region) -> GeoJSON | None:
        return boundary_geojson(obj.boundary)

    # Lists annotate the counts in one query; a single row just written counts here.
    @staticmethod
    def resolve_territory_count(obj: Region) -> int:
        count = getattr(obj, "territory_count", None)
        return obj.territories.count() if count is None else count

    @staticmethod
    def resolve_account_count(obj: Region) -> int:
        count = getattr(obj, "account_count", None)
        return Account.objects.filter(territory__region=obj).count() if count is None else count


class TerritoryIn(Input):
    name: str = Field(min_length=1, max_length=120)
    region_id: int
    boundary: GeoJSON = Field(description="GeoJSON Polygon or MultiPolygon")
    rep_ids: list[int] = Field(default_factory=list, max_length=200)


class TerritoryPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    region_id: int | None = None
    boundary: GeoJSON | None = None
    rep_ids: list[int] | None = Field(default=None, max_length=200)


class TerritoryOut(Schema):
    id: int
    name: str
    region_id: int
    boundary: GeoJSON
    rep_ids: list[int]
    account_count: int

    @staticmethod
    def resolve_boundary(obj: Territory) -> GeoJSON | None:
        return boundary_geojson(obj.boundary)

    @staticmethod
    def resolve_rep_ids(obj: Territory) -> list[int]:
        return sorted(rep.pk for rep in obj.reps.all())

    @staticmethod
    def resolve_account_count(obj: Territory) -> int:
        count = getattr(obj, "account_count", None)
        return Account.objects.filter(territory=obj).count() if count is None else count


class TerritoryFilters(Input):
    region: int | None = None


class BalanceIn(Input):
    """A balanced-territories proposal's parameters (every one optional)."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["keep", "fresh"] = Field(
        "keep",
        description="keep: today's territories, moving only the border accounts needed to "
        "bring every rep within the tolerance; fresh: re-cut the region from scratch",
    )
    tolerance: float = Field(
        0.05, ge=0.0, le=0.5, description="keep: max ÷ min workload per rep ≤ 1 + tolerance"
    )


class BalanceApplyIn(Input):
    model_config = ConfigDict(extra="forbid")

    proposal_token: str = Field(min_length=1, max_length=2_000_000)


class BalanceLoad(Schema):
    accounts: int
    visits: float
    service_h: float
    drive_h: float
    total_h: float
    per_rep_h: float
    spread_km: float


class BalanceRow(Schema):
    territory_id: int
    territory: str
    reps: str
    rep_count: int
    before: BalanceLoad
    after: BalanceLoad


class BalanceMove(Schema):
    account_id: str
    from_territory_id: int
    to_territory_id: int


class BalanceOut(Schema):
    region_id: int
    region: str
    method: str
    tolerance: float
    provider: str
    period_days: int
    accounts: int
    moved: int
    ratio_before: float | None
    ratio_after: float | None
    rows: list[BalanceRow]
    moves: list[BalanceMove]
    boundaries: dict[str, GeoJSON] = Field(description="territory id -> proposed boundary")
    proposal_token: str = Field(description="POST it to .../balance/apply to apply this proposal")


class BalanceAppliedOut(Schema):
    region_id: int
    moved: int
