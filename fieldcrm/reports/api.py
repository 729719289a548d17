"""/api/v1/reports: visits per rep per day/week, pipeline by stage, coverage. All scoped."""

from ninja import Query, Router

from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.reports import selectors
from fieldcrm.reports.schemas import (
    CoverageFilters,
    CoverageOut,
    PipelineReportFilters,
    PipelineReportOut,
    VisitsReportFilters,
    VisitsReportOut,
)
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["reports"])


@router.get("/reports/visits", response=VisitsReportOut)
def report_visits(request: ApiRequest, filters: Query[VisitsReportFilters]):
    """Done visits per rep per day or week (a manager: their region's reps; a rep: own)."""
    reject_unknown_params(request, VisitsReportFilters, extra=())
    return selectors.visits_report(actor=request.auth, filters=filters)


@router.get("/reports/pipeline", response=PipelineReportOut)
def report_pipeline(request: ApiRequest, filters: Query[PipelineReportFilters]):
    """Per stage: count, amount sum and sum weighted by the stage's win probability."""
    reject_unknown_params(request, PipelineReportFilters, extra=())
    return selectors.pipeline_report(actor=request.auth, filters=filters)


@router.get("/reports/coverage", response=CoverageOut)
def report_coverage(request: ApiRequest, filters: Query[CoverageFilters]):
    """Share of accounts visited within their desired frequency, per territory or rep."""
    reject_unknown_params(request, CoverageFilters, extra=())
    return selectors.coverage_report(actor=request.auth, filters=filters)
