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
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q

from fieldcrm.accounts.models import Account
from fieldcrm.notifications import clock
from fieldcrm.notifications.models import Notification, NotificationKind, NotificationSettings
from fieldcrm.notifications.selectors import preference_channels
from fieldcrm.notifications.services import notification_create
from fieldcrm.tasks.models import Task
from fieldcrm.tasks.selectors import user_timezone
from fieldcrm.territories.models import Region
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

LOOKBACK = dt.timedelta(days=7)
EVENING = dt.time(18)


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
        morning = dt.datetime.combine(local_day, user.shift_start, tzinfo=tz)
        before = None if all_day else due - people.lead(user)
        if before is not None and before <= now:
            yield Candidate(f"{base}:before", user, NotificationKind.TASK_DUE, params, record)
        elif morning <= now and (all_day or morning < due):
            yield Candidate(f"{base}:morning", user, NotificationKind.TASK_DUE, params, record)
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


def _tasks(now: dt.datetime) -> Iterable[Task]:
    horizon = now + dt.timedelta(days=2)
    oldest = now - LOOKBACK - dt.timedelta(days=settings.FIELDCRM_OVERDUE_MANAGER_DAYS + 1)
    return (
        Task.objects.filter(done_at__isnull=True, due_at__gte=oldest, due_at__lt=horizon)
        .filter(assignee__is_active=True)
        .select_related("assignee")
        .order_by("due_at", "pk")
        .iterator(chunk_size=2000)
    )


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
    candidates = [c for task in _tasks(now) for c in _task_candidates(task, now, people)]
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
    return made
