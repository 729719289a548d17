"""/api/v1/regions and /api/v1/territories: rows and GeoJSON, with account counts; edits of
boundaries re-assign the accounts they touch."""

from ninja import Query, Router, Status
from ninja.pagination import paginate

from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import Page
from fieldcrm.territories import balancing, selectors, services
from fieldcrm.territories.schemas import (
    BalanceAppliedOut,
    BalanceApplyIn,
    BalanceIn,
    BalanceOut,
    RegionIn,
    RegionOut,
    RegionPatch,
    TerritoryFilters,
    TerritoryIn,
    TerritoryOut,
    TerritoryPatch,
)
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["territories"])


@router.get("/regions", response=list[RegionOut])
@paginate(Page)
def list_regions(request: ApiRequest):
    reject_unknown_params(request)
    return selectors.region_list(actor=request.auth)


@router.get("/regions.geojson", response=dict)
def list_regions_geojson(request: ApiRequest):
    """Your regions as a GeoJSON FeatureCollection."""
    reject_unknown_params(request, extra=())
    return selectors.region_feature_collection(actor=request.auth)


@router.post("/regions", response={201: RegionOut})
def create_region(request: ApiRequest, payload: RegionIn):
    return Status(201, services.region_create_by(actor=request.auth, data=payload.dict()))


@router.get("/regions/{region_id}", response=RegionOut)
def get_region(request: ApiRequest, region_id: int):
    return selectors.region_get(actor=request.auth, region_id=region_id)


@router.patch("/regions/{region_id}", response=RegionOut)
def update_region(request: ApiRequest, region_id: int, payload: RegionPatch):
    data = payload.dict(exclude_unset=True)
    return services.region_update_by(actor=request.auth, region_id=region_id, data=data)


@router.delete("/regions/{region_id}", response={204: None})
def delete_region(request: ApiRequest, region_id: int):
    services.region_delete_by(actor=request.auth, region_id=region_id)
    return Status(204, None)


@router.post("/regions/{region_id}/balance", response=BalanceOut)
def propose_region_balance(request: ApiRequest, region_id: int, payload: BalanceIn):
    """Balanced territories, a dry run: the proposed boundaries, each account that would move,
    each territory's workload before and after, and a signed ``proposal_token`` to apply it
    with. Managers, planners (of the region) and admins; nothing is written."""
    return balancing.balance_propose_by(
        actor=request.auth, region_id=region_id, method=payload.method,
        tolerance=payload.tolerance,
    )  # fmt: skip


@router.post("/regions/{region_id}/balance/apply", response=BalanceAppliedOut)
def apply_region_balance(request: ApiRequest, region_id: int, payload: BalanceApplyIn):
    """Apply a proposal: every boundary set in one transaction, accounts move by the territory
    rule, phones follow on their next sync. Managers of the region and admins (planners 403);
    409 when the region's territories changed since the proposal."""
    return balancing.balance_apply_token(actor=request.auth, region_id=region_id,
                                         token=payload.proposal_token)  # fmt: skip


@router.get("/territories", response=list[TerritoryOut])
@paginate(Page)
def list_territories(request: ApiRequest, filters: Query[TerritoryFilters]):
    reject_unknown_params(request, TerritoryFilters)
    return selectors.territory_list(actor=request.auth, filters=filters)


@router.get("/territories.geojson", response=dict)
def list_territories_geojson(request: ApiRequest, filters: Query[TerritoryFilters]):
    """Your territories as a GeoJSON FeatureCollection, with reps and account counts."""
    reject_unknown_params(request, TerritoryFilters, extra=())
    return selectors.territory_feature_collection(actor=request.auth, filters=filters)


@router.post("/territories", response={201: TerritoryOut})
def create_territory(request: ApiRequest, payload: TerritoryIn):
    """A territory in your region; accounts inside its boundary are assigned to it."""
    return Status(201, services.territory_create_by(actor=request.auth, data=payload.dict()))


@router.get("/territories/{territory_id}", response=TerritoryOut)
def get_territory(request: ApiRequest, territory_id: int):
    return selectors.territory_get(actor=request.auth, territory_id=territory_id)


@router.patch("/territories/{territory_id}", response=TerritoryOut)
def update_territory(request: ApiRequest, territory_id: int, payload: TerritoryPatch):
    """Edit; a new boundary re-assigns the accounts of the old and the new shape."""
    data = payload.dict(exclude_unset=True)
    return services.territory_update_by(actor=request.auth, territory_id=territory_id, data=data)


@router.delete("/territories/{territory_id}", response={204: None})
def delete_territory(request: ApiRequest, territory_id: int):
    services.territory_delete_by(actor=request.auth, territory_id=territory_id)
    return Status(204, None)
