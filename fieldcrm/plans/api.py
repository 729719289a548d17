"""/api/v1/plans: generate route plans, follow the job, move/pin stops, re-optimise, publish."""

from ninja import Query, Router, Status
from ninja.pagination import paginate

from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import Page
from fieldcrm.plans import own_route, selectors, services
from fieldcrm.plans.schemas import (
    CandidateFilters,
    CandidateOut,
    GenerateIn,
    JobConflictOut,
    MyDayIn,
    PlanFilters,
    PlanJobOut,
    ReoptimiseIn,
    RoutePlanOut,
    RouteStopOut,
    StopMoveIn,
    StopPinIn,
)
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["route plans"])


@router.post("/plans/generate", response={202: PlanJobOut, 409: JobConflictOut})
def generate_plans(request: ApiRequest, payload: GenerateIn):
    """Plan a region's reps for a date (or ``horizon_days`` working days). Inline without a
    broker (the job comes back done); queued on Celery with one. 409 names a running job."""
    try:
        job = services.plan_job_start(actor=request.auth, **payload.dict())
    except services.PlanJobRunning as exc:
        return Status(409, {"detail": str(exc), "job_id": exc.job.pk if exc.job else None})
    return Status(202, job)


@router.get("/plans/jobs/{job_id}", response=PlanJobOut)
def get_plan_job(request: ApiRequest, job_id: int):
    """Status, progress (0-100) and, once done, the result: counts, dropped, warnings."""
    return selectors.plan_job_get(actor=request.auth, job_id=job_id)


@router.get("/plans/candidates", response=list[CandidateOut])
def list_plan_candidates(request: ApiRequest, filters: Query[CandidateFilters]):
    """Accounts a generate would consider for the date, best first, with score parts."""
    reject_unknown_params(request, CandidateFilters, extra=())
    return selectors.candidate_list(actor=request.auth, **filters.dict())


@router.get("/plans", response=list[RoutePlanOut])
@paginate(Page)
def list_plans(request: ApiRequest, filters: Query[PlanFilters]):
    """Plans by rep and date (a rep: their own published plans)."""
    reject_unknown_params(request, PlanFilters)
    return selectors.plan_list(actor=request.auth, filters=filters)


@router.post("/plans/reoptimise", response=list[RoutePlanOut])
def reoptimise_plans(request: ApiRequest, payload: ReoptimiseIn):
    """Re-solve the day's draft plans with their stops; pinned stops keep rep and order."""
    return services.plan_reoptimise(actor=request.auth, **payload.dict())


@router.post("/plans/my-day/order", response=RoutePlanOut)
def order_my_day(request: ApiRequest, payload: MyDayIn):
    """A rep adds accounts to today (issue 21): appended to their published plan of today, or
    their own plan of the day made, the stops not yet done ordered by the planner from
    ``position`` (else the home base), from now. Accounts outside the rep's scope: 404."""
    position = (payload.position.lat, payload.position.lng) if payload.position else None
    plan = own_route.my_day_order(
        actor=request.auth, account_ids=payload.account_ids, position=position
    )
    return selectors.plan_get(actor=request.auth, plan_id=plan.pk)


@router.get("/plans/{plan_id}", response=RoutePlanOut)
def get_plan(request: ApiRequest, plan_id: int):
    return selectors.plan_get(actor=request.auth, plan_id=plan_id)


@router.post("/plans/{plan_id}/publish", response=RoutePlanOut)
def publish_plan(request: ApiRequest, plan_id: int):
    """Make the draft the rep's Today (planned visits reach the phone through sync)."""
    services.plan_publish(actor=request.auth, plan_id=plan_id)
    return selectors.plan_get(actor=request.auth, plan_id=plan_id)


@router.post("/plans/{plan_id}/unpublish", response=RoutePlanOut)
def unpublish_plan(request: ApiRequest, plan_id: int):
    """Back to draft: visits not yet checked in or logged are cancelled (phones drop them on
    their next sync); logged work is never removed."""
    services.plan_unpublish(actor=request.auth, plan_id=plan_id)
    return selectors.plan_get(actor=request.auth, plan_id=plan_id)


@router.post("/plans/stops/{stop_id}/move", response=RoutePlanOut)
def move_plan_stop(request: ApiRequest, stop_id: int, payload: StopMoveIn):
    """Move a stop to a rep's draft at a position (pinned there; re-optimise to re-time)."""
    plan = services.plan_stop_move(actor=request.auth, stop_id=stop_id, **payload.dict())
    return selectors.plan_get(actor=request.auth, plan_id=plan.pk)


@router.post("/plans/stops/{stop_id}/pin", response=RouteStopOut)
def pin_plan_stop(request: ApiRequest, stop_id: int, payload: StopPinIn):
    return services.plan_stop_pin(actor=request.auth, stop_id=stop_id, pinned=payload.pinned)
