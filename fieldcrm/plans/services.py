"""Writes for route plans: start and run a planning job, move/pin stops, re-optimise, publish.

Only planners, managers of the region and admins write; a region outside the caller's scope
answers like a missing one. A plan is written in one transaction at the end of a job, so a
killed worker leaves nothing half-written, and a re-run replaces the drafts it left.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from celery import current_app
from django.conf import settings
from django.contrib.gis.geos import LineString
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import NotInScope, get_scoped, require_role, scoped
from fieldcrm.accounts.models import Account
from fieldcrm.core.errors import DomainError
from fieldcrm.plans import planning
from fieldcrm.plans.models import PlanJob, RoutePlan, RouteSheet, RouteStop
from fieldcrm.territories.models import Region
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

Progress = Callable[[int, str], None]
# The Celery name of jobs.plan_generate_job.
PLAN_GENERATE_JOB = "fieldcrm.plans.jobs.plan_generate_job"
ACTIVE = (PlanJob.Status.QUEUED, PlanJob.Status.RUNNING)
MAX_HORIZON_DAYS = 20
# A job still "running" this long after it started lost its worker for good (the broker gives
# a lost message back only after its visibility timeout); a new generate may then replace it.
STALE_AFTER = dt.timedelta(hours=2)


class PlanJobRunning(Exception):
    """Another planner's job for this region and date is queued or running."""

    def __init__(self, job: PlanJob | None) -> None:
        self.job = job
        super().__init__(
            _("A route planning job for this region and date is already running (job %(id)s).")
            % {"id": job.pk if job else "?"}
        )


def _writable_region(actor: User, region_id: int) -> Region:
    require_role(actor, User.Role.PLANNER, User.Role.MANAGER)
    return get_scoped(Region, actor, region_id)


def _default_limit() -> float:
    return settings.FIELDCRM_PLAN_TIME_LIMIT_S


def plan_job_start(
    *,
    actor: User,
    region_id: int,
    date: dt.date,
    horizon_days: int = 1,
    time_limit_s: float | None = None,
    provider: str | None = None,
) -> PlanJob:
    """Check the caller and the input, claim the region+date, run (inline) or queue the job."""
    region = _writable_region(actor, region_id)
    job = plan_job_claim(
        region=region, date=date, horizon_days=horizon_days, time_limit_s=time_limit_s,
        provider=provider, actor=actor,
    )  # fmt: skip
    return plan_job_dispatch(job)


def plan_job_claim(
    *,
    region: Region,
    date: dt.date,
    horizon_days: int = 1,
    time_limit_s: float | None = None,
    provider: str | None = None,
    actor: User | None = None,
) -> PlanJob:
    """Refuse bad input, then insert the job: the partial unique constraint lets one of two
    concurrent planners win; the other gets PlanJobRunning naming the winner's job."""
    if date < timezone.localdate(timezone=ZoneInfo(region.timezone)):
        raise DomainError("date", _("The date is in the past."))
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise DomainError("horizon_days", _("Plan between 1 and 20 working days."))
    provider = planning.provider_name(provider)
    reps = planning.region_reps(region)
    if not reps:
        raise DomainError("region_id", _("Region %(name)s has no reps.") % {"name": region.name})
    days = planning.working_days(date, horizon_days, reps) or [date]
    blocked = [planning.rep_day(rep, d) for rep in reps for d in days]
    if all(r.vehicle is None for r in blocked):
        raise DomainError("region_id", " ".join(dict.fromkeys(r.problem for r in blocked)))
    active = PlanJob.objects.filter(region=region, date=date, status__in=ACTIVE)
    active.filter(created_at__lt=timezone.now() - STALE_AFTER).update(
        status=PlanJob.Status.FAILED, message=_("Abandoned: the worker was lost.")
    )
    try:
        with transaction.atomic():
            return PlanJob.objects.create(
                region=region, date=date, horizon_days=len(days) if horizon_days > 1 else 1,
                time_limit_s=time_limit_s or _default_limit(), created_by=actor,
                result={"provider": provider},
            )  # fmt: skip
    except IntegrityError:
        raise PlanJobRunning(active.first()) from None


def plan_job_dispatch(job: PlanJob) -> PlanJob:
    """Run the job now (no broker) or hand it to Celery once the job row is committed."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            return plan_job_run(job_id=job.pk)
        except Exception:
            # Recorded on the job (status failed, the error as its message): the caller gets
            # that answer, not a 500. A worker's failure is recorded the same way.
            job.refresh_from_db()
            return job
    # By name, so this module does not import jobs.py (which imports this one). After
    # commit: the worker must see the job row it is handed.
    transaction.on_commit(lambda: current_app.send_task(PLAN_GENERATE_JOB, args=[job.pk]))
    return job


def _set_progress(job: PlanJob, pct: int, message: str, cb: Progress | None) -> None:
    PlanJob.objects.filter(pk=job.pk).update(progress=pct, message=message[:300])
    if cb is not None:
        cb(pct, message)


def plan_job_run(*, job_id: int, on_progress: Progress | None = None) -> PlanJob:
    """Run one planning job (inline, from a Celery worker, or again after a lost worker)."""
    job = PlanJob.objects.select_related("region").get(pk=job_id)
    if job.status in (PlanJob.Status.DONE, PlanJob.Status.FAILED):
        return job  # a redelivered message after the job finished: nothing to do
    PlanJob.objects.filter(pk=job.pk).update(
        status=PlanJob.Status.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now()
    )
    try:
        run = _plan(job, on_progress)
    except Exception as exc:
        PlanJob.objects.filter(pk=job.pk).update(
            status=PlanJob.Status.FAILED, message=str(exc)[:300], finished_at=timezone.now()
        )
        raise
    _store(job, run)
    job.refresh_from_db()
    if on_progress is not None:
        on_progress(100, job.message)
    return job


@dataclass
class _Run:
    days: list[dt.date]
    routes: dict[dt.date, list[planning.PlannedRoute]] = field(default_factory=dict)
    visit_ids: dict[str, str] = field(default_factory=dict)  # booked appointments
    result: dict[str, Any] = field(default_factory=dict)


def _plan(job: PlanJob, cb: Progress | None) -> _Run:
    region = job.region
    reps = planning.region_reps(region)
    days = [job.date]
    if job.horizon_days > 1:
        days = planning.working_days(job.date, job.horizon_days, reps) or [job.date]
    _set_progress(job, 2, _("Collecting visits to plan…"), cb)
    cands = planning.candidates_for(region, days[0], until=days[-1])
    missing = [c for c in cands if c.location is None]
    cands = [c for c in cands if c.location is not None]
    names = {c.account_id: c.name for c in cands}
    run = _Run(days=days, visit_ids={c.account_id: c.visit_id for c in cands if c.visit_id})
    warnings = sorted({rd.problem for d in days for rd in _rep_days(reps, d) if rd.problem})
    warnings = list(warnings)
    by_day = {days[0]: cands}
    if len(days) > 1:
        capacity = {
            d: sum(r.vehicle.max_visits or 10 for r in _rep_days(reps, d) if r.vehicle)
            for d in days
        }
        by_day = planning.assign_days(cands, days, capacity)
    provider = planning.provider_for(region, job.result.get("provider"))
    dropped: list[dict[str, Any]] = []
    visited: dict[str, list[tuple[dt.date, int]]] = defaultdict(list)
    carry: list[planning.Candidate] = []
    for i, day in enumerate(days):
        todays = list({c.account_id: c for c in carry + by_day.get(day, [])}.values())
        rep_days = _rep_days(reps, day)
        groups = planning.groups(region, rep_days, todays, threshold=planning.SPLIT_THRESHOLD)
        in_groups = {c.account_id for _v, cs in groups for c in cs}
        unplannable = [c for c in todays if c.account_id not in in_groups]
        # Each problem gets its share of the job's budget, never under a second (or the budget).
        share = job.time_limit_s / len(days) / max(1, len(groups))
        limit = max(min(1.0, job.time_limit_s), share)
        routes, day_dropped = [], []
        for g, (vehicles, group) in enumerate(groups):
            span = 96 / len(days) / max(1, len(groups))
            base = 3 + span * (i * max(1, len(groups)) + g)

            label = _("Planning %(day)s…") % {"day": day.isoformat()}
            _set_progress(job, int(base), label, cb)
            # OR-Tools holds the GIL while it searches, so nothing in this process can tick:
            # the job records when this solve began and readers estimate from the clock.
            phase = {"base": base, "span": span, "limit_s": limit, "at": time.time()}
            PlanJob.objects.filter(pk=job.pk).update(result={**job.result, "phase": phase})

            def tick(
                share: float, base: float = base, span: float = span, label: str = label
            ) -> None:
                _set_progress(job, int(base + share * span), label, cb)

            planned = planning.plan_day(
                vehicles, group, day=day, tz=region.timezone, provider=provider,
                time_limit_s=limit, tick=tick,
            )  # fmt: skip
            routes += planned.routes
            day_dropped += planned.dropped
        run.routes[day] = routes
        busy = {r.rep_id for r in routes}
        if day_dropped:
            # A rep left idle while visits were dropped is almost always a home base the
            # road network cannot reach, or a shift too short: say so instead of staying quiet.
            warnings += [
                _("%(rep)s got no visits on %(day)s; check their home base and shift.")
                % {"rep": rd.rep.display_name, "day": day.isoformat()}
                for rd in rep_days if rd.vehicle is not None and rd.rep.pk not in busy
            ]  # fmt: skip
        for route in routes:
            for stop in route.stops:
                visited[stop.account_id].append((day, route.rep_id))
        by_id = {c.account_id: c for c in todays}
        warnings += planning.late_starts(routes, rep_days, by_id, day=day, tz=region.timezone)
        day_dropped += [(c.account_id, "no_rep") for c in unplannable]
        nxt = days[i + 1] if i + 1 < len(days) else None
        # What did not fit today is tried again tomorrow (late beats never; the cadence
        # report says whether it was still within cadence).
        carry = [by_id[a] for a, _r in day_dropped] if nxt else []
        dropped += [
            {"account_id": a, "name": names.get(a, ""), "reason": r, "day": day.isoformat(),
             "score": by_id[a].score}
            for a, r in day_dropped if not nxt
        ]  # fmt: skip
    all_routes = [r for rs in run.routes.values() for r in rs]
    run.result = {
        "days": [d.isoformat() for d in days],
        "plans": len(all_routes),
        "visits": sum(len(r.stops) for r in all_routes),
        "candidates": len(cands) + len(missing),
        "drive_s": sum(r.drive_s for r in all_routes),
        "distance_m": sum(r.distance_m for r in all_routes),
        "warnings": list(dict.fromkeys(warnings)),
        "missing_location": [{"account_id": c.account_id, "name": c.name} for c in missing],
        "dropped": sorted(dropped, key=lambda d: -d["score"]),
        "provider": job.result.get("provider", "great_circle"),
    }
    if len(days) > 1:
        run.result["cadence"] = cadence_report(region, reps, by_day, visited)
    return run


def _rep_days(reps: list[User], day: dt.date) -> list[planning.RepDay]:
    return [planning.rep_day(rep, day) for rep in reps]


def cadence_report(
    region: Region,
    reps: list[User],
    by_day: dict[dt.date, list[planning.Candidate]],
    visited: dict[str, list[tuple[dt.date, int]]],
) -> dict[str, Any]:
    """Per territory and rep: the share of accounts due in the window seen within cadence."""
    home = planning.rep_territory(region, reps)
    owner = {t: r for r, t in home.items() if t is not None}
    due: dict[str, tuple[dt.date, planning.Candidate]] = {}
    for cands in by_day.values():
        for c in cands:
            if c.frequency_days and c.account_id not in due:
                due[c.account_id] = (c.due_on or dt.date.min, c)
    first = min(by_day) if by_day else dt.date.min
    tally: dict[str, dict[Any, list[int]]] = {"territory": defaultdict(lambda: [0, 0]),
                                                "rep": defaultdict(lambda: [0, 0])}  # fmt: skip
    for account_id, (due_on, c) in due.items():
        seen = visited.get(account_id, [])
        # Overdue accounts count as on time when seen in the first third of the horizon.
        deadline = max(due_on, first + dt.timedelta(days=max(1, len(by_day) // 3)))
        ok = any(day <= deadline for day, _rep in seen)
        rep_id = seen[0][1] if seen else owner.get(c.territory_id or 0)
        for key, value in (("territory", c.territory_id), ("rep", rep_id)):
            tally[key][value][0] += int(ok)
            tally[key][value][1] += 1
    names = dict(region.territories.values_list("pk", "name"))
    rep_names = {r.pk: r.display_name for r in reps}
    return {
        "territories": [
            {"territory_id": t, "name": names.get(t, ""), "due": n, "within_cadence": k,
             "share": round(k / n, 3)} for t, (k, n) in tally["territory"].items()
        ],
        "reps": [
            {"rep_id": r, "name": rep_names.get(r, ""), "due": n, "within_cadence": k,
             "share": round(k / n, 3)} for r, (k, n) in tally["rep"].items()
        ],
    }  # fmt: skip


def _path_of(path: Sequence[tuple[float, float]]) -> LineString | None:
    points = [(lng, lat) for lat, lng in path]
    return LineString(points, srid=4326) if len(points) >= 2 else None


def _path(route: planning.PlannedRoute) -> LineString | None:
    return _path_of(route.path)


def _write_plan(
    region: Region, day: dt.date, route: planning.PlannedRoute, actor_id: int | None,
    pinned: set[str] = frozenset(),  # type: ignore[assignment]
    visit_ids: dict[str, str] | None = None,
) -> RoutePlan:  # fmt: skip
    plan = RoutePlan.objects.create(
        rep_id=route.rep_id, region=region, date=day, path=_path(route),
        distance_m=route.distance_m, drive_s=route.drive_s, work_s=route.work_s,
        stats=route.stats, created_by_id=actor_id,
    )  # fmt: skip
    RouteStop.objects.bulk_create(
        RouteStop(
            plan=plan, sequence=n, account_id=s.account_id, arrival_at=s.arrival_at,
            start_at=s.start_at, departure_at=s.departure_at, wait_s=s.wait_s,
            is_pinned=s.account_id in pinned, visit_id=(visit_ids or {}).get(s.account_id),
        )
        for n, s in enumerate(route.stops, start=1)
    )  # fmt: skip
    return plan


@transaction.atomic
def _store(job: PlanJob, run: _Run) -> None:
    """All plans of the job at once. Drafts of the region and days (this job's earlier attempt
    included) are replaced, so a re-run leaves exactly one set."""
    locked = PlanJob.objects.select_for_update().get(pk=job.pk)
    RoutePlan.objects.filter(
        region=job.region, date__in=run.days, status=RoutePlan.Status.DRAFT
    ).delete()
    plans = [
        _write_plan(job.region, day, route, job.created_by_id, visit_ids=run.visit_ids)
        for day, routes in run.routes.items()
        for route in routes
    ]
    locked.plans.set(plans)
    locked.status, locked.progress, locked.finished_at = PlanJob.Status.DONE, 100, timezone.now()
    locked.result = run.result
    locked.message = _("%(visits)s visits planned in %(plans)s routes; %(dropped)s left out.") % {
        "visits": run.result["visits"], "plans": run.result["plans"],
        "dropped": len(run.result["dropped"]),
    }  # fmt: skip
    locked.save()


# ------------------------------------------------------------------- edits of a draft


def _draft(actor: User, plan_id: int) -> RoutePlan:
    require_role(actor, User.Role.PLANNER, User.Role.MANAGER)
    plan = get_scoped(RoutePlan, actor, plan_id, write=True)
    if plan.status != RoutePlan.Status.DRAFT:
        raise DomainError("plan_id", _("Only a draft plan can be changed."))
    return plan


def _renumber(plan: RoutePlan, stops: list[RouteStop]) -> None:
    # Two passes: the (plan, sequence) constraint must hold after every single UPDATE.
    RouteStop.objects.filter(plan=plan).update(sequence=F("sequence") + 1000)
    for n, stop in enumerate(stops, start=1):
        stop.plan, stop.sequence = plan, n
        stop.save(update_fields=["plan", "sequence", "is_pinned"])
    plan.stats = {**plan.stats, "stale": True}
    # The line through the stops as they now are (times stay stale until re-optimised).
    where = [(s.account.location.y, s.account.location.x) for s in stops
             if s.account.location is not None]  # fmt: skip
    plan.path = _path_of(planning.route_path(plan.region, plan.rep, where))
    plan.save(update_fields=["stats", "path"])


def _out_of_reach(rep: User, account_ids: list[Any]) -> list[Any]:
    """The accounts among ``account_ids`` that ``rep``'s phone would not show (access rule)."""
    visible = set(scoped(Account, rep).filter(pk__in=account_ids).values_list("pk", flat=True))
    return [a for a in account_ids if a not in visible]


@transaction.atomic
def plan_stop_move(*, actor: User, stop_id: int, plan_id: int, position: int) -> RoutePlan:
    """Move a stop to another rep's draft (or within its own) at ``position``; it gets pinned
    there, and times are stale until the day is re-optimised."""
    stop = get_scoped(RouteStop, actor, stop_id, write=True)
    source, target = _draft(actor, stop.plan_id), _draft(actor, plan_id)
    if (source.region_id, source.date) != (target.region_id, target.date):
        raise DomainError(
            "plan_id", _("A stop can only move to a plan of the same day and region.")
        )
    if _out_of_reach(target.rep, [stop.account_id]):
        raise DomainError(
            "plan_id",
            _("%(rep)s cannot open %(account)s (not in their territories or accounts).")
            % {"rep": target.rep.display_name, "account": stop.account.name},
        )
    rest = [s for s in source.stops.order_by("sequence") if s.pk != stop.pk]
    if source.pk != target.pk:
        _renumber(source, rest)
        rest = list(target.stops.order_by("sequence"))
    stop.is_pinned = True
    rest.insert(max(0, min(position - 1, len(rest))), stop)
    _renumber(target, rest)
    return target


@transaction.atomic
def plan_stop_pin(*, actor: User, stop_id: int, pinned: bool) -> RouteStop:
    """Pin (or unpin) a stop to its rep and place: re-optimising keeps pinned stops there."""
    stop = get_scoped(RouteStop, actor, stop_id, write=True)
    _draft(actor, stop.plan_id)
    stop.is_pinned = pinned
    stop.save(update_fields=["is_pinned"])
    return stop


@transaction.atomic
def plan_reoptimise(
    *, actor: User, region_id: int, date: dt.date, time_limit_s: float = 5.0
) -> list[RoutePlan]:
    """Re-solve the day's drafts with the stops they hold; pinned stops keep rep and order."""
    region = _writable_region(actor, region_id)
    drafts = list(scoped(RoutePlan, actor, write=True).filter(
        region=region, date=date, status=RoutePlan.Status.DRAFT).select_related("rep"))  # fmt: skip
    if not drafts:
        raise NotInScope(RoutePlan)
    stops = list(RouteStop.objects.filter(plan__in=drafts).order_by("plan", "sequence"))
    rep_of = {d.pk: d.rep_id for d in drafts}
    pins = {str(s.account_id): (str(rep_of[s.plan_id]), s.sequence) for s in stops if s.is_pinned}
    cands = planning.candidates_for(region, date, only=[str(s.account_id) for s in stops])
    rep_days = [planning.rep_day(d.rep, date) for d in drafts]
    planned = planning.plan_day(
        [r.vehicle for r in rep_days if r.vehicle is not None], cands, day=date,
        tz=region.timezone, provider=planning.provider_for(region), time_limit_s=time_limit_s,
        pins=pins, trim=False,
    )  # fmt: skip
    routes = {r.rep_id: r for r in planned.routes}
    dropped = [{"account_id": a, "reason": reason} for a, reason in planned.dropped]
    out = []
    for draft in drafts:
        route = routes.get(draft.rep_id) or planning.PlannedRoute(draft.rep_id, [], [], 0, 0, 0)
        draft.delete()
        plan = _write_plan(region, date, route, actor.pk, pinned=set(pins))
        plan.stats = {**plan.stats, "dropped": dropped}
        plan.save(update_fields=["stats"])
        out.append(plan)
    return out


# ------------------------------------------------------------------------------ publish


@transaction.atomic
def plan_publish(*, actor: User, plan_id: int) -> RoutePlan:
    """Make a draft the rep's Today: planned visits (synced to the phone) in route order, and
    the rep's previously published plan of that day archived."""
    plan = _draft(actor, plan_id)
    stops = list(plan.stops.select_related("account").order_by("sequence"))
    blocked = set(_out_of_reach(plan.rep, [s.account_id for s in stops]))
    if blocked:
        names = ", ".join(s.account.name for s in stops if s.account_id in blocked)
        raise DomainError(
            "plan_id",
            _("%(rep)s cannot open %(accounts)s: move these stops to a rep who can, then publish.")
            % {"rep": plan.rep.display_name, "accounts": names},
        )
    previous = list(
        RoutePlan.objects.select_for_update().filter(
            rep=plan.rep, date=plan.date, status=RoutePlan.Status.PUBLISHED
        )
    )
    old_visits = set(
        RouteStop.objects.filter(plan__in=previous, visit__isnull=False).values_list(
            "visit_id", flat=True
        )
    )
    RoutePlan.objects.filter(pk__in=[p.pk for p in previous]).update(
        status=RoutePlan.Status.ARCHIVED
    )
    for sheet in RouteSheet.objects.filter(plan__in=previous):
        sheet.soft_delete()  # the phone drops the old day's sheet with the next pull
    kept = set()
    for stop in plan.stops.select_related("visit").order_by("sequence"):
        visit = stop.visit or Visit.objects.filter(
            account_id=stop.account_id, rep=plan.rep, scheduled_on=plan.date,
            status=Visit.Status.PLANNED,
        ).first() or Visit(account_id=stop.account_id, rep=plan.rep)  # fmt: skip
        visit.scheduled_on, visit.route_sequence = plan.date, stop.sequence
        visit.planned_arrival_at, visit.rep = stop.arrival_at, plan.rep
        visit.full_clean()
        visit.save()
        kept.add(visit.pk)
        if stop.visit_id != visit.pk:
            stop.visit = visit
            stop.save(update_fields=["visit"])
    for visit in Visit.objects.filter(pk__in=old_visits - kept, status=Visit.Status.PLANNED):
        if not visit.is_required:
            visit.status, visit.route_sequence = Visit.Status.CANCELLED, None
            visit.save()
    plan.status, plan.published_at = RoutePlan.Status.PUBLISHED, timezone.now()
    plan.stats = {k: v for k, v in plan.stats.items() if k != "edited_by_rep"}
    try:
        with transaction.atomic():
            plan.save(update_fields=["status", "published_at", "stats"])
    except IntegrityError:
        raise DomainError(
            "plan_id", _("Another plan for this rep and day was just published.")
        ) from None
    _write_sheet(plan)
    return plan


def _write_sheet(plan: RoutePlan) -> RouteSheet:
    """The published plan's sheet for the rep's phone (issue 19), made afresh."""
    stops = list(plan.stops.select_related("account", "visit").order_by("sequence"))
    day = planning.phone_day(plan.rep, plan.region, plan.date, [
        planning.SheetStop(
            visit_id=str(s.visit_id), account_id=str(s.account_id),
            location=None if s.account.location is None else (s.account.location.y,
                                                              s.account.location.x),
            arrival_at=s.arrival_at,
            service_s=int((s.departure_at - s.start_at).total_seconds()),
            opening_hours=s.account.opening_hours or {}, pinned=s.is_pinned,
            booked=(s.visit.window_start, s.visit.window_end)
            if s.visit and s.visit.is_required and s.visit.window_start and s.visit.window_end
            else None,
        ) for s in stops if s.visit_id
    ])  # fmt: skip
    sheet = RouteSheet.all_objects.filter(plan=plan).first() or RouteSheet(plan=plan)
    sheet.rep, sheet.date, sheet.day, sheet.deleted_at = plan.rep, plan.date, day, None
    sheet.order = [{"visit_id": str(s.visit_id), "arrival_at": s.arrival_at.isoformat()}
                   for s in stops if s.visit_id]  # fmt: skip
    sheet.dropped, sheet.edited_by_rep_at = [], None
    sheet.full_clean()
    sheet.save()
    return sheet


@transaction.atomic
def plan_unpublish(*, actor: User, plan_id: int) -> RoutePlan:
    """Take a published plan back to draft (issue 14). Its visits not yet checked in or logged
    are cancelled, so the rep's phone drops them on its next sync; logged or checked-in work
    stays as it is, on its stop."""
    require_role(actor, User.Role.PLANNER, User.Role.MANAGER)
    get_scoped(RoutePlan, actor, plan_id, write=True)
    plan = RoutePlan.objects.select_for_update().get(pk=plan_id)  # one publish/unpublish at once
    if plan.status != RoutePlan.Status.PUBLISHED:
        raise DomainError("plan_id", _("Only a published plan can be unpublished."))
    for stop in plan.stops.select_related("visit"):
        visit = stop.visit
        if visit is None or visit.status != Visit.Status.PLANNED or visit.checked_in_at:
            continue
        if not visit.is_required:  # a booked appointment stays booked, off the route
            visit.status = Visit.Status.CANCELLED
        visit.route_sequence, visit.planned_arrival_at = None, None
        visit.full_clean()
        visit.save()
        stop.visit = None  # publishing again plans a visit afresh
        stop.save(update_fields=["visit"])
    plan.status, plan.published_at = RoutePlan.Status.DRAFT, None
    plan.save(update_fields=["status", "published_at"])
    for sheet in RouteSheet.objects.filter(plan=plan):
        sheet.soft_delete()
    return plan


# ------------------------------------------------------------- the rep's own re-plan


@transaction.atomic
def route_sheet_reorder(
    *, actor: User, sheet_id: Any, order: list[dict[str, Any]], dropped: list[dict[str, Any]]
) -> RouteSheet:
    """The rep's re-plan of the rest of today (issue 19): the stops not yet done in the order
    the phone chose (``order``: visit id and new arrival each), and those it found no longer
    fit (``dropped``, kept at the end of the route, still planned, without a time).

    Only the rep's own published route of today; every stop not yet done listed once, no done
    stop moved. The plan's stops and visits follow (done ones first, as they were), and the
    plan is marked as re-planned by the rep."""
    sheet = get_scoped(RouteSheet, actor, sheet_id, write=True)
    plan = RoutePlan.objects.select_for_update().select_related("region").get(pk=sheet.plan_id)
    if plan.rep_id != actor.pk or plan.status != RoutePlan.Status.PUBLISHED:
        raise DomainError("id", _("Only your own published route can be re-planned."))
    tz = ZoneInfo(plan.region.timezone)
    if plan.date != timezone.localdate(timezone=tz):
        raise DomainError("date", _("Only today's route can be re-planned."))
    stops = list(plan.stops.select_related("visit", "account").order_by("sequence"))
    by_visit = {str(s.visit_id): s for s in stops if s.visit_id}
    wanted = [str(item["visit_id"]) for item in order]
    left_out = [str(item["visit_id"]) for item in dropped]
    by_visit.update(
        _added_stops(actor, plan, [i for i in order if str(i["visit_id"]) not in by_visit])
    )
    _check_reorder(plan, by_visit, wanted, left_out, order, tz)
    done = [s for s in stops if str(s.visit_id) not in set(wanted) | set(left_out)]
    arrivals = {str(i["visit_id"]): i["arrival_at"] for i in order}
    moved = [by_visit[v] for v in wanted]
    for stop in moved:
        shift = arrivals[str(stop.visit_id)] - stop.arrival_at
        stop.arrival_at, stop.start_at = stop.arrival_at + shift, stop.start_at + shift
        stop.departure_at += shift
    RouteStop.objects.filter(plan=plan).update(sequence=F("sequence") + 1000)
    for n, stop in enumerate([*done, *moved, *(by_visit[v] for v in left_out)], start=1):
        stop.sequence = n
        if stop.pk is None:  # added on the phone
            stop.save()
        else:
            stop.save(update_fields=["sequence", "arrival_at", "start_at", "departure_at"])
        visit = stop.visit
        if visit is not None and (str(visit.pk) in arrivals or str(visit.pk) in left_out):
            visit.route_sequence = n
            visit.planned_arrival_at = arrivals.get(str(visit.pk))
            visit.save(update_fields=["route_sequence", "planned_arrival_at"])
    now = timezone.now()
    plan.stats = {**plan.stats, "edited_by_rep": {"at": now.isoformat(), "rep_id": actor.pk}}
    plan.save(update_fields=["stats"])
    sheet.order = [{"visit_id": v, "arrival_at": arrivals[v].isoformat()} for v in wanted]
    sheet.dropped = [{"visit_id": str(i["visit_id"]), "reason": i["reason"]} for i in dropped]
    sheet.edited_by_rep_at = now
    sheet.save()
    return sheet


def _added_stops(actor: User, plan: RoutePlan, items: list[dict[str, Any]]) -> dict[str, RouteStop]:
    """Stops the rep added on the phone ("add to today"): their own planned visit of the day,
    made by the same push, becomes a stop of the plan (unsaved; numbered with the others)."""
    ids = [item["visit_id"] for item in items]
    visits = scoped(Visit, actor, write=True).filter(
        pk__in=ids, rep=actor, scheduled_on=plan.date, status=Visit.Status.PLANNED
    ).exclude(route_stops__plan=plan).select_related("account")  # fmt: skip
    out = {}
    for visit in visits:
        at = next(i["arrival_at"] for i in items if i["visit_id"] == visit.pk)
        stop = RouteStop(plan=plan, account=visit.account, visit=visit, arrival_at=at,
                         start_at=at, departure_at=at, is_pinned=False)  # fmt: skip
        out[str(visit.pk)] = stop
    return out


def _check_reorder(
    plan: RoutePlan,
    by_visit: dict[str, RouteStop],
    wanted: list[str],
    left_out: list[str],
    order: list[dict[str, Any]],
    tz: ZoneInfo,
) -> None:
    """Refuse, naming the field, a re-plan that is not a re-order of the stops not yet done."""
    listed = wanted + left_out
    if len(set(listed)) != len(listed):
        raise DomainError("order", _("A stop is listed twice."))
    strangers = [v for v in listed if v not in by_visit]
    if strangers:
        raise DomainError("order", _("%(id)s is not a stop of this route.") % {"id": strangers[0]})
    for v in listed:
        visit = by_visit[v].visit
        if visit is None or visit.status != Visit.Status.PLANNED or visit.checked_in_at:
            raise DomainError(
                "order", _("%(account)s is already done: a done stop keeps its place.")
                % {"account": by_visit[v].account.name},
            )  # fmt: skip
    open_stops = {
        v for v, s in by_visit.items()
        if s.visit and s.visit.status == Visit.Status.PLANNED and not s.visit.checked_in_at
    }  # fmt: skip
    if set(listed) != open_stops:
        raise DomainError(
            "order", _("Every stop not yet done must be in the new order or left out of it.")
        )
    for item in order:
        if item["arrival_at"].astimezone(tz).date() != plan.date:
            raise DomainError("order", _("Every new arrival time must be on the route's day."))
