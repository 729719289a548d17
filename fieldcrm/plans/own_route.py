"""The rep's own route for today (issue 21): accounts picked on the phone, added to today.

``my_day_order`` appends the accounts to the rep's published plan of today, or makes the
rep's own plan of the day when there is none (published at once: it is the rep's Today),
and orders the stops not yet done with the server's planner (``planning.plan_day``) from
where the rep is (the position the phone sends, else the home base), starting now. Stops
done or checked in keep their place. A stop the solver cannot fit (closed hours, past the
end of the day) is kept, after the others, timed by great circle at the planner's default
speed: the rep asked for it. The planner's page labels the plan and the stops as the rep's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, NotInScope, scoped
from fieldcrm.accounts.models import Account
from fieldcrm.core.errors import DomainError
from fieldcrm.plans import planning
from fieldcrm.plans.models import RoutePlan, RouteStop
from fieldcrm.plans.services import _path_of, _write_sheet
from fieldcrm.territories.models import Region
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

MAX_STOPS = 60  # one day's route; the phone's selection bar says so too
SOLVE_LIMIT_S = 1.0
# The fallback for a stop the solver could not fit: great circle at the server's default speed.
FALLBACK_SPEED_MPS = 40 / 3.6
FALLBACK_DETOUR = 1.3
DEFAULT_SERVICE_S = 20 * 60


@dataclass
class _Timed:
    account_id: str
    arrival_at: dt.datetime
    start_at: dt.datetime
    departure_at: dt.datetime
    wait_s: int = 0


def _accounts(actor: User, account_ids: list[Any]) -> list[Account]:
    ids = list(dict.fromkeys(str(a) for a in account_ids))
    if not ids:
        raise DomainError("account_ids", _("Select at least one account."))
    if len(ids) > MAX_STOPS:
        raise DomainError(
            "account_ids", _("At most %(n)s accounts can be added at once.") % {"n": MAX_STOPS}
        )
    found = {str(a.pk): a for a in scoped(Account, actor).filter(pk__in=ids)}
    if len(found) != len(ids):
        raise NotInScope(Account)  # the same 404 as a missing account
    accounts = [found[i] for i in ids]
    missing = [a.name for a in accounts if a.location is None]
    if missing:
        raise DomainError(
            "account_ids",
            _("%(names)s cannot be routed: no location.") % {"names": ", ".join(missing)},
        )
    return accounts


def _region(actor: User, accounts: list[Account]) -> Region:
    """The region of the rep's day: their first territory's, else the first account's."""
    territory = actor.territories.select_related("region").order_by("pk").first()
    if territory is not None:
        return territory.region
    for account in accounts:
        if account.territory is not None:
            return account.territory.region
    raise DomainError("account_ids", _("These accounts are in no region."))


def _seconds_now(now: dt.datetime, tz: ZoneInfo) -> int:
    local = now.astimezone(tz)
    return local.hour * 3600 + local.minute * 60 + local.second


def _order(
    actor: User,
    region: Region,
    day: dt.date,
    account_ids: list[str],
    position: tuple[float, float] | None,
    now: dt.datetime,
) -> tuple[list[_Timed], str]:
    """The stops in the solver's order, timed from now; those it drops after them."""
    tz = ZoneInfo(region.timezone)
    now_s = _seconds_now(now, tz)
    home = None if actor.home_base is None else (actor.home_base.y, actor.home_base.x)
    cands = planning.candidates_for(region, day, only=account_ids)
    for c in cands:
        c.rep_ids = None  # the rep's scope was checked: these are theirs
        c.required, c.pinned_rep_id = False, None
    by_id = {c.account_id: c for c in cands}
    here = position or home or by_id[account_ids[0]].location
    assert here is not None  # every account has a location (checked)
    vehicle = planning.own_day_vehicle(actor, day, start=home or here, here=here, now_s=now_s)
    planned = planning.plan_day(
        [vehicle], [by_id[a] for a in account_ids], day=day, tz=region.timezone,
        provider=planning.provider_for(region), time_limit_s=SOLVE_LIMIT_S, trim=False,
    )  # fmt: skip
    timed = [
        _Timed(s.account_id, s.arrival_at, s.start_at, s.departure_at, s.wait_s)
        for r in planned.routes for s in r.stops
    ]  # fmt: skip
    placed = {t.account_id for t in timed}
    at = timed[-1].departure_at if timed else now
    where = by_id[timed[-1].account_id].location if timed else here
    for account_id in account_ids:  # what the solver left out, nearest first
        if account_id in placed:
            continue
        loc = by_id[account_id].location
        assert loc is not None and where is not None
        drive = planning.great_circle_m(where, loc) * FALLBACK_DETOUR
        arrival = at + dt.timedelta(seconds=round(drive / FALLBACK_SPEED_MPS))
        at = arrival + dt.timedelta(seconds=by_id[account_id].service_s or DEFAULT_SERVICE_S)
        timed.append(_Timed(account_id, arrival, arrival, at))
        where = loc
    return timed, str(planned.routes[0].stats.get("solver", "")) if planned.routes else ""


def _is_open(stop: RouteStop) -> bool:
    visit = stop.visit
    return visit is not None and visit.status == Visit.Status.PLANNED and not visit.checked_in_at


@transaction.atomic
def my_day_order(
    *,
    actor: User,
    account_ids: list[Any],
    position: tuple[float, float] | None = None,
) -> RoutePlan:
    """Add ``account_ids`` to the rep's today and order the stops not yet done (see module)."""
    if actor.role != User.Role.REP:  # an admin too: a day is a rep's (shift, home, territory)
        raise NotAllowed(_("Only a rep builds their own day."))
    accounts = _accounts(actor, account_ids)
    region = _region(actor, accounts)
    tz = ZoneInfo(region.timezone)
    now = timezone.now()
    day = timezone.localdate(now, timezone=tz)
    plan = (
        RoutePlan.objects.select_for_update()
        .filter(rep=actor, date=day, status=RoutePlan.Status.PUBLISHED)
        .select_related("region")
        .first()
    )
    own_plan = plan is None
    if plan is None:
        try:
            with transaction.atomic():
                plan = RoutePlan.objects.create(
                    rep=actor, region=region, date=day, status=RoutePlan.Status.PUBLISHED,
                    published_at=now, created_by=actor,
                    stats={"own": {"rep_id": actor.pk, "at": now.isoformat()}},
                )  # fmt: skip
        except IntegrityError:
            raise DomainError(
                "account_ids", _("Your route for today was just published: try again.")
            ) from None
    stops = list(plan.stops.select_related("visit", "account").order_by("sequence"))
    done = [s for s in stops if not _is_open(s)]
    open_stops = {str(s.account_id): s for s in stops if _is_open(s)}
    done_ids = {str(s.account_id) for s in done if s.visit is not None}
    added = [str(a.pk) for a in accounts if str(a.pk) not in {*open_stops, *done_ids}]
    to_order = [*open_stops, *added]
    timed: list[_Timed] = []
    solver = ""
    if to_order:
        timed, solver = _order(actor, plan.region, day, to_order, position, now)
    RouteStop.objects.filter(plan=plan).update(sequence=F("sequence") + 1000)
    for n, stop in enumerate(done, start=1):
        stop.sequence = n
        stop.save(update_fields=["sequence"])
    for n, t in enumerate(timed, start=len(done) + 1):
        stop = open_stops.get(t.account_id) or RouteStop(plan=plan, account_id=t.account_id)
        stop.sequence, stop.arrival_at, stop.start_at = n, t.arrival_at, t.start_at
        stop.departure_at, stop.wait_s = t.departure_at, t.wait_s
        visit = stop.visit if stop.pk else None
        if visit is None:
            # The rep's own planned visit of today there (the phone's "add to today") or a new one.
            visit = Visit.objects.filter(
                account_id=t.account_id,
                rep=actor,
                scheduled_on=day,
                status=Visit.Status.PLANNED,
                checked_in_at__isnull=True,
            ).exclude(route_stops__plan=plan).first() or Visit(  # fmt: skip
                account_id=t.account_id, rep=actor, scheduled_on=day
            )
        visit.scheduled_on, visit.route_sequence, visit.planned_arrival_at = day, n, t.arrival_at
        visit.full_clean()
        visit.save()
        stop.visit = visit
        stop.save()
    rep_added = list(dict.fromkeys([*plan.stats.get("rep_added", []), *added]))
    solver = solver or plan.stats.get("solver", "")
    plan.stats = {**plan.stats, "rep_added": rep_added, "solver": solver}
    if not own_plan:
        plan.stats["edited_by_rep"] = {"at": now.isoformat(), "rep_id": actor.pk}
    loc = {str(a.pk): a.location for a in accounts} | {
        str(s.account_id): s.account.location for s in stops
    }
    points = [p for p in (loc.get(t.account_id) for t in timed) if p is not None]
    where = [(p.y, p.x) for p in points]
    plan.path = _path_of(planning.route_path(plan.region, actor, where))
    plan.save(update_fields=["stats", "path"])
    _write_sheet(plan)
    return plan


@transaction.atomic
def own_day_from_phone(
    *,
    actor: User,
    sheet_id: Any,
    date: dt.date,
    order: list[dict[str, Any]],
    dropped: list[dict[str, Any]] | None = None,
) -> Any:
    """The rep's own day ordered on the phone while offline (issue 21): a route create of
    the sync, ``order`` the rep's planned visits of today (made by the same push, before it)
    in the phone's order with their arrivals, ``dropped`` those its re-sequencer found no
    longer fit (kept at the end, still planned). It makes the rep's own plan of the day,
    published, and its sheet under the phone's id (a retried push is the same row).

    Refused, naming the field, when the rep already has a published route today (the
    visits stay planned; Today then offers to fit them into that route), for another day,
    or for visits that are not the rep's planned visits of that day."""
    from fieldcrm.plans.models import RouteSheet  # noqa: PLC0415 - models import nothing back

    if actor.role != User.Role.REP:
        raise NotAllowed(_("Only a rep builds their own day."))
    dropped = dropped or []
    wanted = [str(i["visit_id"]) for i in order] + [str(i["visit_id"]) for i in dropped]
    if not order:
        raise DomainError("order", _("Select at least one account."))
    if len(set(wanted)) != len(wanted):
        raise DomainError("order", _("A stop is listed twice."))
    visits = {
        str(v.pk): v
        for v in scoped(Visit, actor, write=True).filter(
            pk__in=wanted, rep=actor, scheduled_on=date, status=Visit.Status.PLANNED,
            checked_in_at__isnull=True,
        ).select_related("account", "account__territory__region")
    }  # fmt: skip
    strangers = [v for v in wanted if v not in visits]
    if strangers:
        raise DomainError("order", _("%(id)s is not a stop of this route.") % {"id": strangers[0]})
    accounts = [visits[v].account for v in wanted]
    region = _region(actor, accounts)
    tz = ZoneInfo(region.timezone)
    if date != timezone.localdate(timezone=tz):
        raise DomainError("date", _("Only today's route can be re-planned."))
    if RoutePlan.objects.filter(rep=actor, date=date, status=RoutePlan.Status.PUBLISHED).exists():
        raise DomainError(
            "date",
            _("Your route for today was published meanwhile: fit these stops in from Today."),
        )  # fmt: skip
    now = timezone.now()
    try:
        with transaction.atomic():
            plan = RoutePlan.objects.create(
                rep=actor, region=region, date=date, status=RoutePlan.Status.PUBLISHED,
                published_at=now, created_by=actor,
                stats={"own": {"rep_id": actor.pk, "at": now.isoformat(), "on_phone": True},
                       "rep_added": [str(a.pk) for a in accounts]},
            )  # fmt: skip
    except IntegrityError:
        raise DomainError(
            "date", _("Your route for today was just published: try again.")
        ) from None
    arrivals = {str(i["visit_id"]): i["arrival_at"] for i in order}
    at = now
    for n, visit_id in enumerate(wanted, start=1):
        visit = visits[visit_id]
        arrival = arrivals.get(visit_id) or at
        departure = arrival + dt.timedelta(seconds=DEFAULT_SERVICE_S)
        at = max(at, departure)
        RouteStop.objects.create(
            plan=plan, sequence=n, account=visit.account, visit=visit, arrival_at=arrival,
            start_at=arrival, departure_at=departure,
        )  # fmt: skip
        visit.route_sequence, visit.planned_arrival_at = n, arrivals.get(visit_id)
        visit.save(update_fields=["route_sequence", "planned_arrival_at"])
    where = [(a.location.y, a.location.x) for a in accounts if a.location is not None]
    plan.path = _path_of(planning.route_path(region, actor, where))
    plan.save(update_fields=["path"])
    RouteSheet(id=sheet_id, plan=plan, rep=actor, date=date).save()
    sheet = _write_sheet(plan)
    # The phone's own order and what it left out, as it sent them.
    sheet.dropped = [{"visit_id": str(i["visit_id"]), "reason": i["reason"]} for i in dropped]
    sheet.edited_by_rep_at = now
    sheet.save()
    return sheet
