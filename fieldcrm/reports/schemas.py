"""Report API shapes: visits per rep per day/week, pipeline by stage, coverage."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field, model_validator

from fieldcrm.core.schemas import Input
from fieldcrm.deals.schemas import BoardOut


class VisitsReportFilters(Input):
    period: Literal["day", "week"] = "day"
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    rep: int | None = None

    @model_validator(mode="after")
    def _range_in_order(self) -> VisitsReportFilters:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("date_to must not be before date_from")
        return self


class VisitsReportRow(Schema):
    rep_id: int
    rep_name: str
    period_start: dt.date = Field(description="The day, or the Monday of the week")
    count: int = Field(description="Visits done in the period (planned or not)")
    planned: int = Field(description="Visits scheduled for the period, not cancelled")
    planned_done: int = Field(description="…of which done")
    timed: int = Field(0, description="Visits done with both a check-in and a check-out")
    time_on_site_s: int = Field(0, description="…their time on site, in seconds, summed")


class VisitsReportOut(Schema):
    period: str
    rows: list[VisitsReportRow]


class PipelineReportFilters(Input):
    pipeline: int | None = Field(default=None, description="Default: every pipeline")


class PipelineReportOut(Schema):
    pipelines: list[BoardOut]


class CoverageFilters(Input):
    by: Literal["territory", "rep"] = "territory"


class CoverageRow(Schema):
    id: int
    name: str
    accounts: int = Field(description="Accounts with a desired visit frequency")
    covered: int = Field(description="…visited within that frequency")
    share: float = Field(description="covered / accounts (0 when there are none)")


class CoverageOut(Schema):
    by: str
    rows: list[CoverageRow]
