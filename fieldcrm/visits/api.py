"""/api/v1/visits: list, plan, read, edit, check in, log (with activity and next step)."""

import uuid

from ninja import Query, Router, Status
from ninja.pagination import paginate

from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import Page
from fieldcrm.users.auth import ApiRequest
from fieldcrm.visits import selectors, services
from fieldcrm.visits.schemas import (
    CheckInIn,
    VisitFilters,
    VisitIn,
    VisitLogIn,
    VisitOut,
    VisitPatch,
)

router = Router(tags=["visits"])


@router.get("/visits", response=list[VisitOut])
@paginate(Page)
def list_visits(request: ApiRequest, filters: Query[VisitFilters]):
    """Visits in your scope (a rep: their own), newest scheduled first."""
    reject_unknown_params(request, VisitFilters)
    return selectors.visit_list(actor=request.auth, filters=filters)


@router.post("/visits", response={201: VisitOut})
def create_visit(request: ApiRequest, payload: VisitIn):
    """Plan a visit; with ``check_in`` the server measures the distance from the account."""
    return Status(201, services.visit_create(actor=request.auth, data=payload.dict()))


@router.get("/visits/{visit_id}", response=VisitOut)
def get_visit(request: ApiRequest, visit_id: uuid.UUID):
    return selectors.visit_get(actor=request.auth, visit_id=visit_id)


@router.patch("/visits/{visit_id}", response=VisitOut)
def update_visit(request: ApiRequest, visit_id: uuid.UUID, payload: VisitPatch):
    """Edit outcome, notes, status; a done visit's check-in and status stay as logged."""
    return services.visit_update(
        actor=request.auth, visit_id=visit_id, data=payload.dict(exclude_unset=True)
    )


@router.post("/visits/{visit_id}/check-in", response=VisitOut)
def check_in_visit(request: ApiRequest, visit_id: uuid.UUID, payload: CheckInIn):
    return services.visit_check_in(actor=request.auth, visit_id=visit_id, check_in=payload.dict())


@router.post("/visits/{visit_id}/log", response=VisitOut)
def log_visit(request: ApiRequest, visit_id: uuid.UUID, payload: VisitLogIn):
    """Complete the visit: activity on the account, last visit date, optional next-step task."""
    return services.visit_log(actor=request.auth, visit_id=visit_id, data=payload.dict())
