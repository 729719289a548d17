"""Deal, pipeline and stage API shapes, and the pipeline board."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, field_validator

from fieldcrm.core.schemas import INT64_MAX, Currency, Input
from fieldcrm.deals.models import Deal, Stage, StageOutcome


class DealIn(Input):
    account_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200)
    pipeline_id: int | None = Field(default=None, description="Default: the default pipeline.")
    stage_id: int | None = Field(default=None, description="Default: the pipeline's first stage.")
    amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    currency: Currency | None = Field(
        default=None, description="ISO 4217; default: the installation's (FIELDCRM_CURRENCY)."
    )
    expected_close_on: dt.date | None = None
    owner_id: int | None = Field(default=None, description="Default: you.")


class DealPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    currency: Currency | None = None
    expected_close_on: dt.date | None = None
    owner_id: int | None = None


class DealMoveIn(Input):
    stage_id: int
    lost_reason_id: int | None = Field(
        default=None, description="Required for a lost stage once lost reasons are kept"
    )


class DealOut(Schema):
    id: int
    name: str
    account_id: uuid.UUID
    account_name: str
    pipeline_id: int
    stage_id: int
    stage_name: str
    outcome: str
    amount: Decimal
    currency: str
    expected_close_on: dt.date | None
    owner_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    lost_reason_id: int | None
    lost_reason: str | None

    @staticmethod
    def resolve_lost_reason(obj: Deal) -> str | None:
        return obj.lost_reason.name if obj.lost_reason is not None else None

    @staticmethod
    def resolve_account_name(obj: Deal) -> str:
        return obj.account.name

    @staticmethod
    def resolve_stage_name(obj: Deal) -> str:
        return obj.stage.name

    @staticmethod
    def resolve_outcome(obj: Deal) -> str:
        return obj.stage.outcome


class DealFilters(Input):
    pipeline: int | None = None
    stage: int | None = None
    owner: int | None = None
    account: uuid.UUID | None = None
    status: StageOutcome | None = Field(default=None, description="open, won or lost")


class StageIn(Input):
    name: str = Field(min_length=1, max_length=120)
    position: int = Field(ge=0, le=32_767)
    probability: int = Field(10, ge=0, le=100)
    outcome: StageOutcome = Stage.Outcome.OPEN


class StagePatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    position: int | None = Field(default=None, ge=0, le=32_767)
    probability: int | None = Field(default=None, ge=0, le=100)
    outcome: StageOutcome | None = None


class StageOut(Schema):
    id: int
    pipeline_id: int
    name: str
    position: int
    probability: int
    outcome: str


class PipelineIn(Input):
    name: str = Field(min_length=1, max_length=120)
    is_default: bool = False
    stages: list[StageIn] = Field(default_factory=list, max_length=50)


class PipelinePatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    is_default: bool | None = None


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: object) -> list:
        return list(obj.stages.all())  # type: ignore[attr-defined]


class MoneyTotalOut(Schema):
    """One currency's total: amounts in different currencies are never added together."""

    currency: str
    amount: Decimal
    weighted: Decimal = Field(description="Weighted by each stage's win probability.")


class BoardStageOut(StageOut):
    count: int
    totals: list[MoneyTotalOut]


class BoardFiltersIn(Input):
    """The deal board's filters (the workspace board's: owner, region, close month)."""

    owner_id: int | None = Field(default=None, ge=1, le=INT64_MAX, description="A deal's owner.")
    region_id: int | None = Field(
        default=None, ge=1, le=INT64_MAX, description="The region of the deal's account."
    )
    close_month: str | None = Field(
        default=None, description="YYYY-MM: the deals expected to close in that month."
    )

    @field_validator("close_month")
    @classmethod
    def _a_month(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                dt.datetime.strptime(value, "%Y-%m")
            except ValueError:
                raise ValueError(_("Enter a month as YYYY-MM.")) from None
        return value

    def close_month_date(self) -> dt.date | None:
        if self.close_month is None:
            return None
        return dt.datetime.strptime(self.close_month, "%Y-%m").date()


class ForecastRowOut(Schema):
    """One currency's cell of a month: open deals expected to close in it, their amount
    weighted by each stage's win probability, and what was won (closed) in it."""

    currency: str
    count: int = Field(description="Open deals.")
    amount: Decimal = Field(description="Their amount.")
    weighted: Decimal
    won: Decimal
    won_count: int


class ForecastMonthOut(Schema):
    month: str | None = Field(description="YYYY-MM; null: open deals with no expected close.")
    rows: list[ForecastRowOut]

    @staticmethod
    def resolve_month(obj: dict) -> str | None:
        return obj["month"].strftime("%Y-%m") if obj["month"] is not None else None


class ForecastOut(Schema):
    months: list[ForecastMonthOut]
    totals: list[ForecastRowOut]
    won_since: dt.date = Field(description="Won deals count from this day (WON_MONTHS back).")


class BoardOut(Schema):
    pipeline_id: int
    name: str
    stages: list[BoardStageOut]
    count: int
    totals: list[MoneyTotalOut]


class BoardWithForecastOut(BoardOut):
    """The board's answer (BoardOut stays as the pipeline report's, without a forecast)."""

    forecast: ForecastOut = Field(description="The forecast by close month of the same deals.")
