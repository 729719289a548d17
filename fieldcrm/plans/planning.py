"""The only bridge between the ORM and ``routing/``: CRM rows in, planner dataclasses out, and back.

Nothing else in ``fieldcrm`` imports ``routing`` (an import-linter contract in pyproject.toml
keeps it so): rows become a ``routing.Problem`` here, and a ``routing.Solution`` comes back as
``PlannedRoute`` rows-to-be. Everything here reads; writes belong to ``plans.services``.
Times cross the bridge as seconds from local midnight of the planning day in the region's
time zone (routing/README.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fieldcrm.access import scoped
from fieldcrm.accounts.models import Account
from fieldcrm.accounts.rules import windows_for
from fieldcrm.core.errors import DomainError
from fieldcrm.deals.models import Deal, Stage
from fieldcrm.tasks.models import Task
from fieldcrm.territories.models import Region
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit
from routing import (
    Break,
    GreatCircleProvider,
    Location,
    OsrmError,
    OsrmProvider,
    Problem,
    Provider,
    Solution,
    Stop,
    TimeWindow,
    Vehicle,
    road_provider,
    solve,
)

# Visit length by tier: key accounts get longer meetings.
SERVICE_S = {"A": 30 * 60, "B": 20 * 60, "C": 15 * 60}
APPOINTMENT_S = 30 * 60
# Readable score parts (sum capped at 99, the planner's priority scale).
TIER_POINTS = {"A": 40, "B": 20, "C": 10}
OVERDUE_POINTS_PER_DAY, OVERDUE_POINTS_MAX = 2, 30
DEAL_POINTS_PER, DEAL_POINTS_MAX = 1000, 25  # one point per 1,000 of open deal value
TASK_POINTS, NEW_LEAD_POINTS = 10, 15
# Above this many candidates a region is solved per territory (one problem each): one
# OR-Tools model over ~1,000 visits costs more in build time than it wins in sharing reps.
SPLIT_THRESHOLD = 800
# The solver sees at most this many optional visits per visit slot (reps' max visits): priority
# penalties dominate the cost, so the best day is built from the top of the list, and a smaller
# model converges in far less time (bench/plans_scenario.py measures both).
CANDIDATES_PER_SLOT = 4
ROADS_DIR = Path(settings.BASE_DIR) / "fieldcrm" / "data" / "roads"
logger = logging.getLogger(__name__)


@dataclass
class Candidate:
    """One account to maybe visit on a day, with why and how much it matters."""

    account_id: str
    name: str
    location: tuple[float, float] | None  # (lat, lng)
    territory_id: int | None
    reasons: list[str]
    score: int
    parts: dict[str, int]
    service_s: int
    windows: tuple[tuple[int, int], ...] = ()
    required: bool = False
    visit_id: str | None = None
    pinned_rep_id: int | None = None
    due_on: dt.date | None = None
    frequency_days: int | None = None
    # The reps who may open the account on their phone (the access rule): only they may get
    # it on their route. None: any rep (a hand-built candidate; candidates_for always sets it).
    rep_ids: frozenset[int] | None = None


@dataclass
class RepDay:
    rep: User
    vehicle: Vehicle | None
    problem: str = ""  # why this rep cannot be planned that day


@dataclass
class PlannedStop:
    account_id: str
    arrival_at: dt.datetime
    start_at: dt.datetime
    departure_at: dt.datetime
    wait_s: int
    leg_s: int = 0  # the drive that led here


@dataclass
class PlannedRoute:
    rep_id: int
    stops: list[PlannedStop]
    path: list[tuple[float, float]]  # (lat, lng)
    distance_m: int
    drive_s: int
    work_s: int
    stats: dict[str, object] = field(default_factory=dict)


# ---------------------------------------------------------------------------------- scoring


def score(
    *, tier: str, overdue_days: int | None, open_value: float, has_task: bool, new_lead: bool
) -> tuple[int, dict[str, int]]:
    """Priority 0..99 and its parts, so a planner can see why a visit ranks where it does."""
    parts = {
        "tier": TIER_POINTS.get(tier, 0),
        "overdue": min(OVERDUE_POINTS_MAX, max(0, overdue_days or 0) * OVERDUE_POINTS_PER_DAY),
        "deals": min(DEAL_POINTS_MAX, int(open_value // DEAL_POINTS_PER)),
        "task": TASK_POINTS if has_task else 0,
        "new_lead": NEW_LEAD_POINTS if new_lead else 0,
    }
    return min(99, sum(parts.values())), parts


def local_midnight(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(tz))


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _opening_windows(hours: dict, day: dt.date, service_s: int) -> tuple[tuple[int, int], ...]:
    # The visit must end before closing: the window for its start closes service_s earlier.
    spans = [(a, b - service_s) for a, b in windows_for(hours, day) if b - service_s >= a]
    if hours and not spans:
        return ((0, -1),)  # closed that day: marked impossible, dropped as OUTSIDE_WINDOWS
    return tuple(spans)


def candidates_for(
    region: Region,
    day: dt.date,
    *,
    until: dt.date | None = None,
    all_accounts: bool = False,
    only: Iterable[str] | None = None,
) -> list[Candidate]:
    """Accounts of ``region`` worth visiting on ``day`` (due up to ``until`` in horizon mode).

    Due by frequency, an open visit task, a lead never visited, or a booked appointment
    (required). ``all_accounts`` takes every live account (the scenario benchmark); ``only``
    exactly these accounts (re-optimising a plan).
    """
    until = until or day
    end = local_midnight(until + dt.timedelta(days=1), region.timezone)
    base = Account.objects.filter(territory__region=region).exclude(
        status__in=[Account.Status.DISQUALIFIED, Account.Status.CHURNED]
    )
    tasks = Task.objects.filter(
        kind=Task.Kind.VISIT, done_at__isnull=True, account__territory__region=region
    ).filter(Q(due_at__isnull=True) | Q(due_at__lt=end))
    task_ids = {str(a) for a in tasks.values_list("account_id", flat=True)}
    booked = {
        str(v.account_id): v
        for v in Visit.objects.filter(
            scheduled_on=day, is_required=True, status=Visit.Status.PLANNED,
            account__territory__region=region,
        )
    }  # fmt: skip
    wanted = Q(visit_frequency_days__isnull=False, visit_due_at__lt=end)
    wanted |= Q(status=Account.Status.LEAD, last_visited_at__isnull=True)
    wanted |= Q(pk__in=list(task_ids) + list(booked))
    if only is not None:
        base, all_accounts = Account.objects.filter(pk__in=list(only)), True
    chosen = base if all_accounts else base.filter(wanted)
    rows = list(chosen.order_by("pk"))
    seen_by = reps_who_see(region_reps(region), chosen)
    values = dict(
        # Open value in the installation's currency only: amounts in different currencies
        # are never added (core/money.py), and there are no rates to convert them.
        Deal.objects.filter(
            account__in=[r.pk for r in rows],
            stage__outcome=Stage.Outcome.OPEN,
            currency=settings.FIELDCRM_CURRENCY,
        )  # fmt: skip
        .values_list("account_id")
        .annotate(total=Sum("amount"))
    )
    cands = [_candidate(a, day, region.timezone, task_ids, booked, values) for a in rows]
    for c in cands:
        c.rep_ids = frozenset(seen_by.get(c.account_id, ()))
    return cands


def reps_who_see(reps: Iterable[User], accounts: QuerySet) -> dict[str, set[int]]:
    """Per account id (as str) of ``accounts``: the ``reps`` whose scope holds it.

    One query per rep, each through the access rule itself, so a plan can never give a rep
    an account the phone would hide from them (issue 14)."""
    out: dict[str, set[int]] = defaultdict(set)
    for rep in reps:
        for pk in scoped(Account, rep, queryset=accounts).values_list("pk", flat=True):
            out[str(pk)].add(rep.pk)
    return out


def _candidate(
    account: Account,
    day: dt.date,
    tz: str,
    task_ids: set[str],
    booked: dict[str, Visit],
    values: dict,
) -> Candidate:
    key = str(account.pk)
    due_on = account.visit_due_at.astimezone(ZoneInfo(tz)).date() if account.visit_due_at else None
    overdue = (day - due_on).days if due_on else None
    new_lead = account.status == Account.Status.LEAD and account.last_visited_at is None
    reasons = []
    if due_on is not None:
        reasons.append("due")
    if key in task_ids:
        reasons.append("task")
    if new_lead:
        reasons.append("new_lead")
    points, parts = score(
        tier=account.tier, overdue_days=overdue, open_value=float(values.get(account.pk) or 0),
        has_task=key in task_ids, new_lead=new_lead,
    )  # fmt: skip
    service_s = SERVICE_S.get(account.tier, SERVICE_S["B"])
    loc = account.location
    cand = Candidate(
        account_id=key, name=account.name, location=None if loc is None else (loc.y, loc.x),
        territory_id=account.territory_id, reasons=reasons, score=points, parts=parts,
        service_s=service_s, windows=_opening_windows(account.opening_hours, day, service_s),
        due_on=due_on, frequency_days=account.visit_frequency_days,
    )  # fmt: skip
    visit = booked.get(key)
    if visit is not None:
        start = _seconds(visit.window_start) if visit.window_start else 0
        end = _seconds(visit.window_end) - APPOINTMENT_S if visit.window_end else 24 * 3600
        cand.reasons.append("booked")
        cand.required, cand.visit_id, cand.pinned_rep_id = True, str(visit.pk), visit.rep_id
        cand.service_s = APPOINTMENT_S
        cand.windows = ((start, max(start, end)),) if visit.window_start else ()
    return cand


# ------------------------------------------------------------------------------- reps


def region_reps(region: Region) -> list[User]:
    return list(
        User.objects.filter(
            territories__region=region, role=User.Role.REP, is_active=True
        ).distinct().order_by("pk")
    )  # fmt: skip


def rep_day(rep: User, day: dt.date) -> RepDay:
    """The rep as a vehicle for ``day``, or why they cannot be planned (a clear per-rep text)."""
    name = rep.display_name
    if rep.home_base is None:
        return RepDay(rep, None, _("%(rep)s has no home base.") % {"rep": name})
    if not rep.shift_start or not rep.shift_end or rep.shift_end <= rep.shift_start:
        return RepDay(rep, None, _("%(rep)s has no shift.") % {"rep": name})
    if day.weekday() not in (rep.working_days or []):
        return RepDay(
            rep, None,
            _("%(rep)s does not work on %(day)s.") % {"rep": name, "day": date_format(day, "l")},
        )  # fmt: skip
    brk = None
    if rep.break_minutes and rep.break_start and rep.break_end:
        window = TimeWindow(_seconds(rep.break_start), _seconds(rep.break_end))
        brk = Break(window=window, duration_s=rep.break_minutes * 60)
    home = Location(rep.home_base.y, rep.home_base.x)
    vehicle = Vehicle(
        id=str(rep.pk), start=home,
        shift=TimeWindow(_seconds(rep.shift_start), _seconds(rep.shift_end)),
        break_=brk, max_visits=rep.max_visits_per_day,
    )  # fmt: skip
    return RepDay(rep, vehicle)


def route_path(
    region: Region, rep: User, stops: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The line a route is drawn with: from the rep's home base through ``stops`` (lat, lng)
    and back, along the streets when the region's provider knows them (``road``, ``osrm``),
    else straight. For a route changed by hand (a stop moved between reps), so the map does
    not keep drawing the line of the route as it was."""
    points = [Location(lat, lng) for lat, lng in stops]
    if not points:
        return []
    if rep.home_base is not None:
        home = Location(rep.home_base.y, rep.home_base.x)
        points = [home, *points, home]
    return [(lat, lng) for lat, lng in provider_for(region).geometry(points)]


def rep_territory(region: Region, reps: Sequence[User]) -> dict[int, int | None]:
    """Each rep's home territory in the region (the first by id)."""
    out: dict[int, int | None] = {rep.pk: None for rep in reps}
    for territory in region.territories.order_by("pk").prefetch_related("reps"):
        for rep in territory.reps.all():
            if rep.pk in out and out[rep.pk] is None:
                out[rep.pk] = territory.pk
    return out


# ---------------------------------------------------------------------------- problems


def provider_name(name: str | None) -> str:
    """The provider a job uses: the one asked for, else the configured default; refused
    (naming ``provider``) when it needs a server this installation does not have."""
    name = name or settings.FIELDCRM_ROUTING_PROVIDER
    if name == "osrm" and not settings.FIELDCRM_OSRM_URL:
        raise DomainError("provider", _("No OSRM server is configured (FIELDCRM_OSRM_URL)."))
    return name


def provider_for(region: Region, name: str | None = None) -> Provider:
    """The travel-time provider named ``name`` (default: ``FIELDCRM_ROUTING_PROVIDER``):
    ``great_circle``; ``road``, the committed graph named after the region (great circle where
    the region has none); or ``osrm``, the server at ``FIELDCRM_OSRM_URL``."""
    name = provider_name(name)
    if name == "osrm":
        return OsrmProvider(settings.FIELDCRM_OSRM_URL)
    if name == "road":
        path = ROADS_DIR / f"{region.name.lower()}.npz"
        if path.exists():
            return road_provider(path)
    return GreatCircleProvider()


def to_stop(c: Candidate, pinned: dict[str, tuple[str, int]] | None = None) -> Stop:
    """The candidate as a visit to plan. A pin (re-optimising a draft) also makes the visit
    required: the planner put it there, so unpinned visits are dropped before it (issue 14)."""
    pin = (pinned or {}).get(c.account_id)
    rep = str(c.pinned_rep_id) if c.pinned_rep_id else None
    return Stop(
        id=c.account_id,
        location=None if c.location is None else Location(*c.location),
        service_s=c.service_s,
        windows=tuple(TimeWindow(a, b) for a, b in c.windows if b >= a) or (
            (TimeWindow(0, 0),) if c.windows else ()),
        priority=c.score, required=c.required or pin is not None,
        pinned_vehicle_id=pin[0] if pin else rep, pinned_order=pin[1] if pin else None,
        allowed_vehicle_ids=None if c.rep_ids is None else frozenset(map(str, c.rep_ids)),
    )  # fmt: skip


def shortlist(
    cands: Sequence[Candidate], vehicles: Sequence[Vehicle]
) -> tuple[list[Candidate], list[Candidate]]:
    """(kept, left out): required visits and the best-scored ones, up to CANDIDATES_PER_SLOT
    per visit slot of these reps; the rest is left out before solving, lowest scores first."""
    slots = sum(v.max_visits or 20 for v in vehicles) * CANDIDATES_PER_SLOT
    required = [c for c in cands if c.required]
    optional = sorted((c for c in cands if not c.required), key=lambda c: (-c.score, c.account_id))
    room = max(0, slots - len(required))
    return required + optional[:room], optional[room:]


def _may_take(c: Candidate, vehicle: Vehicle) -> bool:
    return c.rep_ids is None or int(vehicle.id) in c.rep_ids


def groups(
    region: Region, reps: Sequence[RepDay], cands: Sequence[Candidate], *, threshold: int
) -> list[tuple[list[Vehicle], list[Candidate]]]:
    """One problem for the region, or one per territory when there are more than ``threshold``
    candidates. A candidate goes only to a problem holding a rep who may open it (its
    territory's, else the first such rep's); the others are left for the report (no rep)."""
    vehicles = [r.vehicle for r in reps if r.vehicle is not None]
    if len(cands) <= threshold:
        return [(vehicles, [c for c in cands if any(_may_take(c, v) for v in vehicles)])]
    home = rep_territory(region, [r.rep for r in reps])
    by_t: dict[int | None, tuple[list[Vehicle], list[Candidate]]] = defaultdict(lambda: ([], []))
    for r in reps:
        if r.vehicle is not None:
            by_t[home[r.rep.pk]][0].append(r.vehicle)
    for c in cands:
        fit = [t for t, (vs, _cs) in by_t.items() if any(_may_take(c, v) for v in vs)]
        if fit:  # its territory's problem, else (an owned account elsewhere) its rep's
            by_t[c.territory_id if c.territory_id in fit else fit[0]][1].append(c)
    return [g for g in by_t.values() if g[0]]


@dataclass
class PlannedDay:
    """One solved problem: the routes, and (account id, reason) for every visit left out."""

    routes: list[PlannedRoute]
    dropped: list[tuple[str, str]]


def plan_day(
    vehicles: Sequence[Vehicle],
    cands: Sequence[Candidate],
    *,
    day: dt.date,
    tz: str,
    provider: Provider,
    time_limit_s: float,
    pins: dict[str, tuple[str, int]] | None = None,
    trim: bool = True,
    tick: Callable[[float], None] | None = None,
) -> PlannedDay:
    """Solve one group of reps and candidates for ``day``. With ``trim`` the candidates
    beyond what the reps could ever visit are left out first (as ``low_priority``); ``pins``
    keep a stop with its rep and place (re-optimising a draft)."""
    kept, cut = shortlist(cands, vehicles) if trim else (list(cands), [])
    problem = Problem(
        vehicles=tuple(vehicles), stops=tuple(to_stop(c, pins) for c in kept), provider=provider
    )
    solution = solve_with_progress(problem, time_limit_s=time_limit_s, tick=tick)
    dropped = [(c.account_id, "low_priority") for c in cut]
    dropped += [(d.stop_id, d.reason.value) for d in solution.dropped]
    return PlannedDay(routes_from(solution, day, tz), dropped)


def solve_with_progress(
    problem: Problem, *, time_limit_s: float, tick: Callable[[float], None] | None = None
) -> Solution:
    """solve() in a thread while ``tick(share_done)`` reports elapsed time against the limit."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["solution"] = solve(problem, time_limit_s=time_limit_s, seed=1)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    started = _now()
    thread.start()
    while thread.is_alive():
        thread.join(timeout=0.5)
        if tick is not None and thread.is_alive():
            tick(min(0.99, (_now() - started) / max(time_limit_s, 0.1)))
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["solution"]  # type: ignore[return-value]


def _now() -> float:
    import time

    return time.monotonic()


def routes_from(solution: Solution, day: dt.date, tz: str) -> list[PlannedRoute]:
    """Solver routes as aware datetimes in the region's zone (reps without visits left out)."""
    midnight = local_midnight(day, tz)

    def at(s: int) -> dt.datetime:
        return midnight + dt.timedelta(seconds=s)

    out = []
    for route in solution.routes:
        if not route.visits:
            continue
        stops = [
            PlannedStop(
                v.stop_id,
                at(v.arrival_s),
                at(v.start_s),
                at(v.departure_s),
                v.wait_s,
                v.leg_duration_s,
            )  # fmt: skip
            for v in route.visits
        ]
        out.append(PlannedRoute(
            rep_id=int(route.vehicle_id), stops=stops, path=list(route.geometry),
            distance_m=route.distance_m, drive_s=route.drive_s, work_s=route.work_s,
            stats={"start_at": at(route.start_s).isoformat(), "end_at": at(route.end_s).isoformat(),
                   "service_s": route.service_s, "wait_s": route.wait_s,
                   "break_start_s": route.break_start_s, "solver": solution.stats.solver},
        ))  # fmt: skip
    return out


# A rep's first visit should start by shift start + the drive to it + this much (issue 14);
# a later start is explained to the planner.
LATE_START_S = 15 * 60


def late_starts(
    routes: Sequence[PlannedRoute],
    reps: Sequence[RepDay],
    cands: dict[str, Candidate],
    *,
    day: dt.date,
    tz: str,
) -> list[str]:
    """Why each rep whose first visit starts later than shift start + drive + 15 min does."""
    shift = {r.rep.pk: r for r in reps}
    midnight = local_midnight(day, tz)
    out = []
    for route in routes:
        rd = shift.get(route.rep_id)
        if rd is None or not route.stops or rd.rep.shift_start is None:
            continue
        first = route.stops[0]
        due = midnight + dt.timedelta(seconds=_seconds(rd.rep.shift_start) + first.leg_s)
        if first.start_at <= due + dt.timedelta(seconds=LATE_START_S):
            continue
        cand = cands.get(first.account_id)
        opens = min((a for a, _b in cand.windows), default=0) if cand else 0
        values = {
            "rep": rd.rep.display_name, "day": day.isoformat(),
            "time": first.start_at.astimezone(ZoneInfo(tz)).strftime("%H:%M"),
            "account": cand.name if cand else first.account_id,
            "from": f"{opens // 3600:02d}:{opens % 3600 // 60:02d}",
        }  # fmt: skip
        out.append(
            _("%(rep)s starts at %(time)s on %(day)s: the first visit, %(account)s, can only be "
              "visited from %(from)s.") % values
            if cand and midnight + dt.timedelta(seconds=opens) > due
            else _("%(rep)s starts at %(time)s on %(day)s, later than the shift start and the "
                   "drive to the first visit allow.") % values
        )  # fmt: skip
    return out


# ------------------------------------------------------------------------------- horizon


def working_days(start: dt.date, n: int, reps: Iterable[User]) -> list[dt.date]:
    """The next ``n`` days (from ``start``) on which at least one rep works."""
    weekdays = {d for rep in reps for d in (rep.working_days or [])}
    days: list[dt.date] = []
    day = start
    while len(days) < n and weekdays and (day - start).days < 7 * n + 7:
        if day.weekday() in weekdays:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def assign_days(
    cands: Sequence[Candidate], days: Sequence[dt.date], capacity: dict[dt.date, int]
) -> dict[dt.date, list[Candidate]]:
    """Spread visits over ``days`` so each lands on or before its due date (earliest deadline
    first), on the least-loaded day nearby, clustered by territory; frequent accounts recur."""
    load: dict[dt.date, int] = dict.fromkeys(days, 0)
    by_day: dict[dt.date, list[Candidate]] = {d: [] for d in days}
    tload: dict[tuple[dt.date, int | None], int] = defaultdict(int)
    # Visits without a cadence (new leads, tasks) fill the gaps: any day, after the due ones.
    pending = [(c.due_on if c.frequency_days and c.due_on else days[-1], c) for c in cands]
    pending.sort(key=lambda p: (p[0], -p[1].score))
    while pending:
        due, c = pending.pop(0)
        freq = c.frequency_days or 10_000
        release = due - dt.timedelta(days=max(0, freq // 3)) if c.frequency_days else days[0]
        window = [d for d in days if release <= d <= due]
        if due < days[0]:
            window = list(days[: max(1, math.ceil(len(days) / 3))])  # overdue: early in the horizon
        elif not window:
            window = [days[-1]]
        territory = c.territory_id
        best = min(
            window,
            key=lambda d: (
                load[d] / max(1, capacity.get(d, 1)) - 0.05 * min(3, tload[(d, territory)]),
                d,
            ),
        )
        by_day[best].append(replace(c, due_on=due))
        load[best] += 1
        tload[(best, c.territory_id)] += 1
        nxt = best + dt.timedelta(days=freq)
        if c.frequency_days and nxt <= days[-1]:
            pending.append((nxt, c))
            pending.sort(key=lambda p: (p[0], -p[1].score))
    return by_day


# --------------------------------------------------------------------- the phone's day


# The drive times shipped with a route for the phone's re-sequencer (issue 19): one matrix of
# the plan's own stops and home, at most this many points (a day holds far fewer); past it the
# phone times every leg by great circle, as it does for a stop it adds itself.
PHONE_MATRIX_MAX_POINTS = 61


@dataclass
class SheetStop:
    visit_id: str
    account_id: str
    location: tuple[float, float] | None  # (lat, lng)
    arrival_at: dt.datetime
    service_s: int
    opening_hours: dict
    pinned: bool
    booked: tuple[dt.time, dt.time] | None = None  # a booked appointment's window


def phone_day(
    rep: User, region: Region, day: dt.date, stops: Sequence[SheetStop]
) -> dict[str, object]:
    """What a rep's phone needs to re-plan the rest of ``day`` offline, as plain JSON: times in
    seconds from local midnight, windows for the *start* of each visit (as the planner's), and
    the plan's provider's drive times between home and the stops (``matrix``)."""
    midnight = local_midnight(day, region.timezone)
    out_stops = []
    for s in stops:
        place = None if s.location is None else {"lat": s.location[0], "lng": s.location[1]}
        windows: tuple[tuple[int, int], ...]
        if s.booked is not None:
            windows = ((_seconds(s.booked[0]), max(_seconds(s.booked[0]),
                        _seconds(s.booked[1]) - s.service_s)),)  # fmt: skip
        else:
            windows = _opening_windows(s.opening_hours, day, s.service_s)
        out_stops.append({
            "visit_id": s.visit_id, "account_id": s.account_id,
            "location": place,
            "eta_s": int((s.arrival_at - midnight).total_seconds()), "service_s": s.service_s,
            "windows": [list(w) for w in windows], "pinned": s.pinned,
        })  # fmt: skip
    home = None if rep.home_base is None else {"lat": rep.home_base.y, "lng": rep.home_base.x}
    brk = None
    if rep.break_minutes and rep.break_start and rep.break_end:
        brk = {"window": [_seconds(rep.break_start), _seconds(rep.break_end)],
               "duration_s": rep.break_minutes * 60}  # fmt: skip
    return {
        "tz": region.timezone,
        "shift_end_s": _seconds(rep.shift_end) if rep.shift_end else None,
        "break": brk,
        "home": home,
        "stops": out_stops,
        "matrix": _phone_matrix(region, home, out_stops),
        "speed_kmh": GreatCircleProvider().speed_kmh,
        "detour_factor": GreatCircleProvider().detour_factor,
    }


def _phone_matrix(region: Region, home: dict | None, stops: list[dict]) -> dict | None:
    points = [("home", home)] if home else []
    points += [(s["visit_id"], s["location"]) for s in stops if s["location"]]
    if len(points) < 2 or len(points) > PHONE_MATRIX_MAX_POINTS:
        return None
    provider = provider_for(region)
    try:
        matrix = provider.matrix([Location(p["lat"], p["lng"]) for _, p in points])
    except Exception:  # noqa: BLE001 - a road server down must not stop a publish
        logger.warning("phone matrix: provider failed, the phone uses great circle", exc_info=True)
        return None
    return {"ids": [key for key, _ in points], "duration_s": matrix.duration_s.tolist()}


# ------------------------------------------------------------------ balanced territories


def territory_balance(
    *,
    region: Region,
    sites: Sequence[tuple[str, float, float, float, float]],
    groups: Sequence[tuple[str, int, tuple[float, float] | None]],
    current: dict[str, str],
    clip_wkb: bytes | None,
    seed: int = 0,
    method: str = "keep",
    tolerance: float = 0.05,
) -> Any:
    """The bridge to ``routing.territories`` for ``territories.balancing``: ``sites`` as
    (id, lat, lng, visits per period, minutes a visit), ``groups`` as (id, reps, home (lat,
    lng) or None), today's site -> group, the area to tile (WKB, lon/lat). The drive estimate
    is calibrated on the region's configured provider (``provider_for``). Returns the engine's
    ``Outcome``: assignment, loads after and before, boundaries as GeoJSON. It runs in a child
    process (see ``balance_isolated``: shapely cannot run beside SpatiaLite's GEOS)."""
    from routing.territories import Group, Options, Site, balance_isolated  # noqa: PLC0415

    try:
        return balance_isolated(
            [Site(*row) for row in sites],
            [Group(gid, reps, None if home is None else Location(*home))
             for gid, reps, home in groups],
            clip_wkb=clip_wkb, current=current, provider=provider_for(region),
            options=Options(seed=seed, method=method, tolerance=tolerance),
        )  # fmt: skip
    except OsrmError as exc:  # the drive estimate's calibration asks the road server
        logger.warning("territory balance: OSRM failed: %s", exc)
        raise DomainError(
            "provider", _("The road router could not be reached; try again later.")
        ) from None


def own_day_vehicle(
    rep: User, day: dt.date, *, start: tuple[float, float], here: tuple[float, float], now_s: int
) -> Vehicle:
    """The rep as a vehicle for their own day (issue 21, plans/own_route.py): from ``here``
    (lat, lng) at ``now_s``, until the end of the day (the rep asked for these stops; the
    shift end does not drop them), with their break; the day ends at ``start`` (home)."""
    end_s = 24 * 3600 - 1
    rd = rep_day(rep, day)
    return Vehicle(
        id=str(rep.pk), start=Location(*start), shift=TimeWindow(min(now_s, end_s), end_s),
        break_=rd.vehicle.break_ if rd.vehicle is not None else None,
        current_location=Location(*here), current_time_s=min(now_s, end_s),
    )  # fmt: skip


def great_circle_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two (lat, lng) points on the great circle (as routing/matrix.py's)."""
    import math  # noqa: PLC0415

    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))
