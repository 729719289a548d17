"""/api/v1/deals, /pipelines, /stages: deals through a pipeline; the board; configuration."""

from ninja import Query, Router, Status
from ninja.pagination import paginate

from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import Page
from fieldcrm.crm import selectors as board_selectors
from fieldcrm.deals import selectors, services
from fieldcrm.deals.schemas import (
    BoardFiltersIn,
    BoardWithForecastOut,
    DealFilters,
    DealIn,
    DealMoveIn,
    DealOut,
    DealPatch,
    PipelineIn,
    PipelineOut,
    PipelinePatch,
    StageIn,
    StageOut,
    StagePatch,
)
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["deals"])


@router.get("/deals", response=list[DealOut])
@paginate(Page)
def list_deals(request: ApiRequest, filters: Query[DealFilters]):
    """Deals on accounts in your scope, most recently changed first."""
    reject_unknown_params(request, DealFilters)
    return selectors.deal_list(actor=request.auth, filters=filters)


@router.post("/deals", response={201: DealOut})
def create_deal(request: ApiRequest, payload: DealIn):
    return Status(201, services.deal_create(actor=request.auth, data=payload.dict()))


@router.get("/deals/{deal_id}", response=DealOut)
def get_deal(request: ApiRequest, deal_id: int):
    return selectors.deal_get(actor=request.auth, deal_id=deal_id)


@router.patch("/deals/{deal_id}", response=DealOut)
def update_deal(request: ApiRequest, deal_id: int, payload: DealPatch):
    return services.deal_update(
        actor=request.auth, deal_id=deal_id, data=payload.dict(exclude_unset=True)
    )


@router.post("/deals/{deal_id}/move", response=DealOut)
def move_deal(request: ApiRequest, deal_id: int, payload: DealMoveIn):
    """Move to a stage of the same pipeline; won or lost closes the deal."""
    return services.deal_move(actor=request.auth, deal_id=deal_id, stage_id=payload.stage_id,
                              lost_reason_id=payload.lost_reason_id)  # fmt: skip


@router.get("/pipelines", response=list[PipelineOut])
def list_pipelines(request: ApiRequest):
    return selectors.pipeline_list(actor=request.auth)


@router.post("/pipelines", response={201: PipelineOut})
def create_pipeline(request: ApiRequest, payload: PipelineIn):
    return Status(201, services.pipeline_create(actor=request.auth, data=payload.dict()))


@router.get("/pipelines/{pipeline_id}", response=PipelineOut)
def get_pipeline(request: ApiRequest, pipeline_id: int):
    return selectors.pipeline_get(actor=request.auth, pipeline_id=pipeline_id)


@router.patch("/pipelines/{pipeline_id}", response=PipelineOut)
def update_pipeline(request: ApiRequest, pipeline_id: int, payload: PipelinePatch):
    return services.pipeline_update(
        actor=request.auth, pipeline_id=pipeline_id, data=payload.dict(exclude_unset=True)
    )


@router.get("/pipelines/{pipeline_id}/board", response=BoardWithForecastOut)
def get_pipeline_board(request: ApiRequest, pipeline_id: int, filters: Query[BoardFiltersIn]):
    """Per stage: the count and amount of the deals you may see, and the weighted sum; and
    the forecast by close month. Narrowed by the workspace board's filters."""
    reject_unknown_params(request, BoardFiltersIn, extra=())
    checked = board_selectors.board_filters_checked(
        actor=request.auth, owner=filters.owner_id, region=filters.region_id,
        close_month=filters.close_month_date(),
    )  # fmt: skip
    return board_selectors.board_summary(
        actor=request.auth, pipeline_id=pipeline_id, filters=checked
    )


@router.post("/pipelines/{pipeline_id}/stages", response={201: StageOut})
def create_stage(request: ApiRequest, pipeline_id: int, payload: StageIn):
    return Status(
        201, services.stage_create(actor=request.auth, pipeline_id=pipeline_id, data=payload.dict())
    )


@router.patch("/stages/{stage_id}", response=StageOut)
def update_stage(request: ApiRequest, stage_id: int, payload: StagePatch):
    return services.stage_update(
        actor=request.auth, stage_id=stage_id, data=payload.dict(exclude_unset=True)
    )
