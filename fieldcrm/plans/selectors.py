"""Reads of route plans and planning jobs. Every one starts from the caller's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from fieldcrm.access import NotInScope, get_scoped, scoped
from fieldcrm.accounts.models import Account
from fieldcrm.plans import planning
from fieldcrm.plans.models import PlanJob, RoutePlan, RouteStop
from fieldcrm.plans.schemas import PlanFilters
from fieldcrm.territories.models import Region
from fieldcrm.users.models import User

PLANNING_ROLES = (User.Role.PLANNER, User.Role.MANAGER)


def _planning_regions(actor: User) -> QuerySet[Region]:
    """Regions the caller plans for: none for a rep (their plans are read, not planned)."""
    if not (actor.is_admin or actor.role in PLANNING_ROLES):
        return Region.objects.none()
    return scoped(Region, actor)


def plan_job_get(*, actor: User, job_id: int) -> PlanJob:
    """A job of a region the caller plans for (NotInScope otherwise, like a missing one)."""
    job = scoped(PlanJob, actor).filter(pk=job_id).prefetch_related("plans").first()
    if job is None:
        raise NotInScope(PlanJob)
    return job


def _with_stops(qs: QuerySet[RoutePlan]) -> QuerySet[RoutePlan]:
    stops = RouteStop.objects.select_related("account", "visit").order_by("sequence")
    return qs.select_related("rep").prefetch_related(Prefetch("stops", queryset=stops))


def plan_list(*, actor: User, filters: PlanFilters) -> QuerySet[RoutePlan]:
    """Plans the caller may read (a rep: their own published ones), by date then rep."""
    qs = scoped(RoutePlan, actor)
    for name in ("rep_id", "date", "region_id", "status"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    return _with_stops(qs).order_by("-date", "rep_id", "id")


def plan_get(*, actor: User, plan_id: int) -> RoutePlan:
    get_scoped(RoutePlan, actor, plan_id)
    return _with_stops(RoutePlan.objects.filter(pk=plan_id)).get()


def candidate_list(*, actor: User, region_id: int, date: dt.date) -> list[dict]:
    """What a generate would consider for ``date``, best first, each score with its parts."""
    region = get_scoped(Region, actor, region_id, write=False)
    if not _planning_regions(actor).filter(pk=region.pk).exists():
        raise NotInScope(Region)
    cands = sorted(planning.candidates_for(region, date), key=lambda c: (-c.score, c.name))
    return [
        {**c.__dict__, "lat": c.location[0] if c.location else None,
         "lng": c.location[1] if c.location else None}
        for c in cands
    ]  # fmt: skip


def planner_day(*, actor: User, region_id: int, date: dt.date) -> dict:
    """The planner page's data: drafts and published plans of the day, and the latest job."""
    region = get_scoped(Region, actor, region_id)
    plans = list(
        _with_stops(scoped(RoutePlan, actor).filter(region=region, date=date))
        .exclude(status=RoutePlan.Status.ARCHIVED)
        .order_by("rep_id", "status")
    )
    job = PlanJob.objects.filter(region=region, date=date).order_by("-created_at").first()
    _mark_move_targets([p for p in plans if p.status == RoutePlan.Status.DRAFT])
    for plan in plans:  # issue 21: the stops the rep added to their day on the phone
        added = set(plan.stats.get("rep_added", []))
        for stop in plan.stops.all():
            stop.added_by_rep = str(stop.account_id) in added
    return {"region": region, "plans": plans, "job": job}


def _mark_move_targets(drafts: list[RoutePlan]) -> None:
    """Each draft stop's ``move_targets``: the drafts whose rep can open its account, so the
    planner is offered only moves the server accepts (issue 14)."""
    ids = {stop.account_id for plan in drafts for stop in plan.stops.all()}
    seen = planning.reps_who_see([p.rep for p in drafts], Account.objects.filter(pk__in=ids))
    for plan in drafts:
        for stop in plan.stops.all():
            reps = seen.get(str(stop.account_id), set())
            stop.move_targets = [d for d in drafts if d.pk == plan.pk or d.rep_id in reps]


def planner_regions(*, actor: User) -> QuerySet[Region]:
    return _planning_regions(actor).order_by("name")


def account_points(*, actor: User, account_ids: list[str]) -> dict[str, tuple[float, float]]:
    """(lat, lng) of the given accounts the caller may see, by id."""
    rows = scoped(Account, actor).filter(pk__in=account_ids, location__isnull=False)
    return {str(pk): (loc.y, loc.x) for pk, loc in rows.values_list("pk", "location")}
