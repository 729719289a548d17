"""The scheduler: find what is due and create its notifications, idempotently.

Every reminder has a key (task + reminder kind + the due instant it is for), unique in the
database, so a second run, a second scheduler or a run after a crash makes nothing twice;
changing a task's due time makes new keys, so the new time is reminded too. Time comes from
``clock.now()`` alone, so tests move it. Reminders older than LOOKBACK are not made late
(after a long outage the overdue list says it better than a burst of stale nudges).

- a task: the morning it is due (the assignee's shift start) and, for a timed task, the
  assignee's lead time before it (30 minutes by default); a task "due on a day" is one whose
  due time is midnight in the assignee's zone. The morning one is skipped once the lead-time
  one is due (it would only repeat it).
- overdue: when a timed task's time, or an all-day task's day, has passed; its assignee's
  managers are told after FIELDCRM_OVERDUE_MANAGER_DAYS more days.
- an account past its visit cadence (``visit_due_at``) reminds its owner.
- a booked visit (an appointment) reminds its rep at 18:00 the evening before.

Cost per tick: a pass reads only the tasks that may have a moment since the last pass
(``SchedulerMark``): those changed since its committed change number, those whose time (or
time less a lead, or plus the manager's days) fell between the two clock readings, and, when a
local midnight or shift start passed, the tasks of that day; each is an index range on
``due_at`` or ``change_seq``, so 100,000 pending tasks cost what is due, not a scan of them
all (bench/reminder_scheduler.py). Every ``FULL_EVERY``, after a gap longer than that, or when
the clock went back, a pass reads the whole window as before, which also catches what no
change number shows (a user's zone or shift edited).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Max, Q, QuerySet

from fieldcrm.accounts.models import Account
from fieldcrm.core.models import ChangeCounter
from fieldcrm.notifications import clock
from fieldcrm.notifications.models import (
    Notification,
    NotificationKind,
    NotificationSettings,
    SchedulerMark,
)
from fieldcrm.notifications.selectors import preference_channels
from fieldcrm.notifications.services import notification_create
from fieldcrm.tasks.models import Task
from fieldcrm.tasks.selectors import user_timezone
from fieldcrm.territories.models import Region
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

LOOKBACK = dt.timedelta(days=7)
EVENING = dt.time(18)
FULL_EVERY = dt.timedelta(hours=1)
MARK = "reminders"


@dataclass
class Candidate:
    key: str
    recipient: User
    kind: str
    params: dict[str, Any]
    record: tuple[str, Any]


class _People:
    """Per-run caches of each user's zone, lead time and channels (one query each per user)."""

    def __init__(self) -> None:
        self.zones: dict[int, zoneinfo.ZoneInfo] = {}
        self.leads: dict[int, int] = {}
        self.channels: dict[int, dict[str, str]] = {}
        self.managers: dict[int, list[User]] = {}

    def zone(self, user: User) -> zoneinfo.ZoneInfo:
        if user.pk not in self.zones:
            self.zones[user.pk] = user_timezone(user=user)
        return self.zones[user.pk]

    def lead(self, user: User) -> dt.timedelta:
        if user.pk not in self.leads:
            found = NotificationSettings.objects.filter(user=user).values_list(
                "lead_minutes", flat=True
            )
            self.leads[user.pk] = next(iter(found), 30)
        return dt.timedelta(minutes=self.leads[user.pk])

    def channel_map(self, user: User) -> dict[str, str]:
        if user.pk not in self.channels:
            self.channels[user.pk] = preference_channels(user=user)
        return self.channels[user.pk]

    def managers_of(self, user: User) -> list[User]:
        if user.pk not in self.managers:
            regions = Region.objects.filter(territories__reps=user).values("manager_id")
            self.managers[user.pk] = list(
                User.objects.filter(pk__in=regions, is_active=True).exclude(pk=user.pk)
            )
        return self.managers[user.pk]


def _is_all_day(due: dt.datetime, tz: dt.tzinfo) -> bool:
    local = due.astimezone(tz)
    return (local.hour, local.minute, local.second) == (0, 0, 0)


def _task_params(task: Task) -> dict[str, Any]:
    return {"title": task.title, "due_at": task.due_at.isoformat() if task.due_at else None}


def _task_candidates(task: Task, now: dt.datetime, people: _People) -> Iterable[Candidate]:
    due = task.due_at
    assert due is not None
    user = task.assignee
    tz = people.zone(user)
    all_day = _is_all_day(due, tz)
    local_day = due.astimezone(tz).date()
    stamp = due.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    base = f"task:{task.pk}:{stamp}"
    record = ("task", task.pk)
    params = _task_params(task)
    due_end = (
        dt.datetime.combine(local_day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        if all_day
        else due
    )
    if now < due_end:
        # A meeting reminds its attendees as it does its assignee (each at their own lead
        # time and shift start; their keys name them).
        invited = [u for u in task.attendees.all() if u.is_active and u.pk != user.pk] if (
            task.kind == Task.Kind.MEETING) else []  # fmt: skip
        for person in [user, *invited]:
            suffix = "" if person is user else f":{person.pk}"
            zone = people.zone(person)
            morning = dt.datetime.combine(
                due.astimezone(zone).date(), person.shift_start, tzinfo=zone
            )
            before = None if all_day else due - people.lead(person)
            if before is not None and before <= now:
                yield Candidate(
                    f"{base}:before{suffix}", person, NotificationKind.TASK_DUE, params, record
                )
            elif morning <= now and (all_day or morning < due):
                yield Candidate(
                    f"{base}:morning{suffix}", person, NotificationKind.TASK_DUE, params, record
                )
        return
    if now - due_end < LOOKBACK:
        yield Candidate(f"{base}:overdue", user, NotificationKind.TASK_OVERDUE, params, record)
    tell_at = due_end + dt.timedelta(days=settings.FIELDCRM_OVERDUE_MANAGER_DAYS)
    if tell_at <= now < tell_at + LOOKBACK:
        days = (now - due_end).days
        for manager in people.managers_of(user):
            yield Candidate(
                f"{base}:overdue_manager:{manager.pk}", manager,
                NotificationKind.TASK_OVERDUE_MANAGER,
                {**params, "rep": user.display_name, "days": days}, record,
            )  # fmt: skip


def _window(now: dt.datetime) -> Q:
    horizon = now + dt.timedelta(days=2)
    oldest = now - LOOKBACK - dt.timedelta(days=settings.FIELDCRM_OVERDUE_MANAGER_DAYS + 1)
    return Q(done_at__isnull=True, due_at__gte=oldest, due_at__lt=horizon, assignee__is_active=True)


def _tasks(now: dt.datetime) -> Iterable[Task]:
    """The full pass: every open task in the reminder window."""
    return (
        Task.objects.filter(_window(now))
        .select_related("assignee")
        .prefetch_related("attendees")
        .order_by("due_at", "pk")
        .iterator(chunk_size=2000)
    )


def _midnights(tz: zoneinfo.ZoneInfo, lo: dt.datetime, hi: dt.datetime) -> list[dt.datetime]:
    """The local midnights of ``tz`` in (lo, hi]."""
    day = lo.astimezone(tz).date()
    out = []
    while (m := dt.datetime.combine(day, dt.time(0), tzinfo=tz)) <= hi:
        if m > lo:
            out.append(m)
        day += dt.timedelta(days=1)
    return out


def _day_start(moment: dt.datetime, tz: zoneinfo.ZoneInfo, days: int = 0) -> dt.datetime:
    local = moment.astimezone(tz).date() + dt.timedelta(days=days)
    return dt.datetime.combine(local, dt.time(0), tzinfo=tz)


def _moment_ranges(last: dt.datetime, now: dt.datetime) -> list[Q]:
    """Where on ``due_at`` a task must lie to have a reminder moment in (last, now]: each
    term one index range. Conservative (the candidate rules decide; keys drop repeats)."""
    lead = dt.timedelta(
        minutes=max(30, NotificationSettings.objects.aggregate(m=Max("lead_minutes"))["m"] or 0)
    )
    tell = dt.timedelta(days=settings.FIELDCRM_OVERDUE_MANAGER_DAYS)
    # A timed task: its lead time before (any lead up to the longest), its time (overdue), and
    # its time plus the manager's days.
    ranges = [Q(due_at__gt=last, due_at__lte=now + lead),
              Q(due_at__gt=last - tell, due_at__lte=now - tell)]  # fmt: skip
    zones = {zoneinfo.ZoneInfo(settings.TIME_ZONE)}
    for name in Region.objects.order_by().values_list("timezone", flat=True).distinct():
        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
            zones.add(zoneinfo.ZoneInfo(name))
    shifts = set(User.objects.filter(is_active=True).values_list("shift_start", flat=True))
    for tz in zones:
        # A task due on a day (local midnight) is overdue when the day ends, and told to the
        # manager days later: the day that ended at each midnight that passed.
        # (The scheduler adds the days on the wall clock, as aware arithmetic in one zone
        # does, so across a daylight-saving change the moment is an hour off the UTC sum.)
        ends = _midnights(tz, last, now) + [
            m for m in _midnights(tz, last - tell - dt.timedelta(days=1), now)
            if last < m + tell <= now
        ]  # fmt: skip
        for midnight in ends:
            ranges.append(Q(due_at=_day_start(midnight - dt.timedelta(hours=1), tz)))
        # The morning reminder: a shift start that passed names the day whose tasks it is for.
        for day_start in {_day_start(last, tz), _day_start(now, tz)}:
            for shift in shifts:
                if last < dt.datetime.combine(day_start.date(), shift, tzinfo=tz) <= now:
                    ranges.append(
                        Q(due_at__gte=day_start, due_at__lt=_day_start(day_start, tz, days=1))
                    )
    return ranges


def _since_queries(mark: SchedulerMark, now: dt.datetime) -> list[QuerySet[Task, Any]]:
    """The ids an incremental pass reads: changed since the mark, or with a moment since it.
    Unordered (the model's ordering would make a planner walk the due_at index instead)."""
    terms = [Q(change_seq__gt=mark.change_seq), *_moment_ranges(mark.ran_at, now)]
    return [Task.objects.filter(term).order_by().values_list("pk", flat=True) for term in terms]


def _tasks_since(mark: SchedulerMark, now: dt.datetime) -> Iterable[Task]:
    """An incremental pass: the open tasks of ``_since_queries``, read by id."""
    ids: set[Any] = set()
    for query in _since_queries(mark, now):
        ids.update(query)
    ordered = sorted(ids, key=str)
    for start in range(0, len(ordered), 2000):
        yield from (
            Task.objects.filter(_window(now), pk__in=ordered[start : start + 2000])
            .select_related("assignee")
            .prefetch_related("attendees")
            .order_by("due_at", "pk")
        )


def _mark_read(now: dt.datetime) -> tuple[SchedulerMark | None, int]:
    """The last pass's mark when this one may be incremental (else None), and the committed
    change number read before any task is (what changes later, the next pass sees)."""
    ceiling = ChangeCounter.objects.filter(pk=1).values_list("value", flat=True).first() or 0
    mark = SchedulerMark.objects.filter(name=MARK).first()
    if mark is None or not (mark.ran_at <= now < mark.ran_at + FULL_EVERY):
        return None, ceiling
    if now - mark.full_at >= FULL_EVERY:
        return None, ceiling
    return mark, ceiling


def _mark_write(*, now: dt.datetime, ceiling: int, full: bool) -> None:
    """Record the pass. An incremental one only moves the mark forward; a full one sets it
    (a mark moved back only makes the next pass look at more, never at less)."""
    fields: dict[str, Any] = {"ran_at": now, "change_seq": ceiling}
    if not full:
        SchedulerMark.objects.filter(name=MARK, ran_at__lte=now).update(**fields)
        return
    SchedulerMark.objects.update_or_create(name=MARK, defaults={**fields, "full_at": now})


def _account_candidates(now: dt.datetime) -> Iterable[Candidate]:
    accounts = (
        Account.objects.filter(visit_due_at__lte=now, visit_due_at__gt=now - LOOKBACK)
        .filter(Q(owner__is_active=True))
        .exclude(status__in=[Account.Status.DISQUALIFIED, Account.Status.CHURNED])
        .select_related("owner")
        .order_by("visit_due_at", "pk")
    )
    for account in accounts.iterator(chunk_size=2000):
        assert account.owner is not None and account.visit_due_at is not None
        stamp = account.visit_due_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        yield Candidate(
            f"account:{account.pk}:visit_due:{stamp}", account.owner,
            NotificationKind.ACCOUNT_VISIT_DUE,
            {"name": account.name, "days": account.visit_frequency_days or 0},
            ("account", account.pk),
        )  # fmt: skip


def _booked_visit_candidates(now: dt.datetime, people: _People) -> Iterable[Candidate]:
    today = now.date()
    visits = (
        Visit.objects.filter(status=Visit.Status.PLANNED, is_required=True)
        .filter(scheduled_on__gte=today - dt.timedelta(days=1),
                scheduled_on__lte=today + dt.timedelta(days=2))
        .filter(rep__is_active=True)
        .select_related("rep", "account")
        .order_by("scheduled_on", "pk")
    )  # fmt: skip
    for visit in visits:
        assert visit.scheduled_on is not None
        tz = people.zone(visit.rep)
        evening = dt.datetime.combine(visit.scheduled_on - dt.timedelta(days=1), EVENING, tzinfo=tz)
        starts = dt.datetime.combine(
            visit.scheduled_on, visit.window_start or dt.time(0), tzinfo=tz
        )
        if not evening <= now < max(starts, evening + dt.timedelta(hours=6)):
            continue
        time = visit.window_start.strftime("%H:%M") if visit.window_start else None
        yield Candidate(
            f"visit:{visit.pk}:evening:{visit.scheduled_on.isoformat()}", visit.rep,
            NotificationKind.VISIT_BOOKED, {"name": visit.account.name, "time": time},
            ("account", visit.account_id),
        )  # fmt: skip


def reminders_run() -> Counter[str]:
    """Create every notification due at ``clock.now()`` that does not exist yet; returns how
    many of each kind were made."""
    now = clock.now()
    people = _People()
    mark, ceiling = _mark_read(now)
    tasks = _tasks(now) if mark is None else _tasks_since(mark, now)
    candidates = [c for task in tasks for c in _task_candidates(task, now, people)]
    candidates += list(_account_candidates(now))
    candidates += list(_booked_visit_candidates(now, people))
    made: Counter[str] = Counter()
    for chunk_start in range(0, len(candidates), 500):
        chunk = candidates[chunk_start : chunk_start + 500]
        taken = set(
            Notification.all_objects.filter(key__in=[c.key for c in chunk]).values_list(
                "key", flat=True
            )
        )
        for c in chunk:
            if c.key in taken:
                continue
            created = notification_create(
                recipient=c.recipient, kind=c.kind, params=c.params, record=c.record,
                key=c.key, channels=people.channel_map(c.recipient),
            )  # fmt: skip
            if created is not None:
                made[str(c.kind)] += 1
    _mark_write(now=now, ceiling=ceiling, full=mark is None)
    return made
