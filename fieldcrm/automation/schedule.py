"""Time-based triggers: the scheduler's scan writes an event when a moment is reached.

Changes to records write their events in the change's transaction (outbox.py); "a task
becomes overdue", "an account is N days past its visit cadence" and "a date field's
anniversary" are no change, so this scan (a worker step and the Celery events job, before
the outbox is processed) looks for them at ``clock.now()`` and writes one event per enabled
rule, record and occurrence:

- the event is for that rule only (``Event.rule``): rules with the same trigger but other
  parameters (30 days, 60 days) each see their own moment;
- its ``key`` (rule + record + the occurrence: the due time, the visit due time, the year)
  is unique in the database and the insert skips a key that exists, so a rerun or a second
  scheduler process writes nothing twice, and the rule's run (unique on rule and event) then
  happens once; a new occurrence (the task re-dated and overdue again, the account visited
  and past its cadence again, next year's anniversary) has a new key and fires again;
- moments older than LOOKBACK are not fired late (a rule made today does not act on every
  account neglected for years, and an outage does not end in a burst of stale tasks).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from fieldcrm.accounts.models import Account
from fieldcrm.accounts.services import account_event_data
from fieldcrm.automation.models import TIME_TRIGGERS, Event, EventType, Rule
from fieldcrm.automation.outbox import event_build
from fieldcrm.core.models import write_atomic
from fieldcrm.notifications import clock
from fieldcrm.tasks.models import Task
from fieldcrm.tasks.selectors import user_timezone

LOOKBACK = dt.timedelta(days=7)
INACTIVE = (Account.Status.DISQUALIFIED, Account.Status.CHURNED)


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _days(rule: Rule) -> int:
    return int((rule.trigger_params or {}).get("days") or 0)


class _Zones:
    """Each assignee's zone, once per scan (an all-day task is overdue when its day ends)."""

    def __init__(self) -> None:
        self.zones: dict[int, zoneinfo.ZoneInfo] = {}

    def of(self, task: Task) -> zoneinfo.ZoneInfo:
        if task.assignee_id not in self.zones:
            self.zones[task.assignee_id] = user_timezone(user=task.assignee)
        return self.zones[task.assignee_id]


def _overdue_from(task: Task, zones: _Zones) -> dt.datetime:
    """When the task is overdue: its time, or for a task due on a day (midnight in the
    assignee's zone, as the reminders read it) the end of that day."""
    assert task.due_at is not None
    tz = zones.of(task)
    local = task.due_at.astimezone(tz)
    if (local.hour, local.minute, local.second) != (0, 0, 0):
        return task.due_at
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=tz)


def _task_overdue(rule: Rule, now: dt.datetime, zones: _Zones) -> Iterable[Event]:
    late = dt.timedelta(days=_days(rule))
    # Index-shaped (tasks' due_at is indexed): only the window a moment can fall in.
    tasks = (
        Task.objects.filter(done_at__isnull=True, due_at__lte=now - late,
                            due_at__gt=now - late - LOOKBACK - dt.timedelta(days=1))
        .select_related("assignee").order_by("due_at", "pk")
    )  # fmt: skip
    for task in tasks.iterator(chunk_size=2000):
        moment = _overdue_from(task, zones) + late
        if not moment <= now < moment + LOOKBACK:
            continue
        assert task.due_at is not None
        yield _event(rule, EventType.TASK_OVERDUE, "task", task.pk, _stamp(task.due_at), {
            "id": task.pk, "title": task.title, "kind": task.kind,
            "assignee_id": task.assignee_id, "account_id": task.account_id,
            "deal_id": task.deal_id, "due_at": task.due_at,
            "days_overdue": (now - _overdue_from(task, zones)).days,
        })  # fmt: skip


def _past_cadence(rule: Rule, now: dt.datetime) -> Iterable[Event]:
    days = dt.timedelta(days=_days(rule))
    accounts = Account.objects.exclude(status__in=INACTIVE)
    if (rule.trigger_params or {}).get("since") == "last_visit":
        # "Not visited for N days": from the last visit, or from its making if never visited.
        accounts = accounts.filter(
            Q(last_visited_at__lte=now - days, last_visited_at__gt=now - days - LOOKBACK)
            | Q(last_visited_at__isnull=True, created_at__lte=now - days,
                created_at__gt=now - days - LOOKBACK)
        )  # fmt: skip
    else:
        accounts = accounts.filter(
            visit_due_at__lte=now - days, visit_due_at__gt=now - days - LOOKBACK
        )
    for account in accounts.order_by("pk").iterator(chunk_size=2000):
        base = (
            account.visit_due_at if (rule.trigger_params or {}).get("since") != "last_visit"
            else account.last_visited_at or account.created_at
        )  # fmt: skip
        assert base is not None
        yield _event(rule, EventType.ACCOUNT_PAST_CADENCE, "account", account.pk, _stamp(base), {
            **account_event_data(account),
            "visit_due_at": account.visit_due_at, "last_visited_at": account.last_visited_at,
            "days_past": (now - base).days,
        })  # fmt: skip


def _anniversary_in(year: int, date: dt.date) -> dt.date:
    try:
        return date.replace(year=year)
    except ValueError:  # 29 February in a common year: the 28th
        return dt.date(year, 2, 28)


def _anniversary(rule: Rule, now: dt.datetime) -> Iterable[Event]:
    field = str((rule.trigger_params or {}).get("field") or "")
    if not field:
        return
    # The day in the deployment's zone (settings.TIME_ZONE): one calendar for every account.
    today = timezone.localdate(now)
    accounts = (
        Account.objects.exclude(status__in=INACTIVE)
        .filter(custom_fields__has_key=field).order_by("pk")
    )  # fmt: skip
    for account in accounts.iterator(chunk_size=2000):
        try:
            date = dt.date.fromisoformat(str((account.custom_fields or {}).get(field)))
        except ValueError:
            continue
        for year in (today.year, today.year - 1):
            day = _anniversary_in(year, date)
            if day <= date or not day <= today < day + LOOKBACK:
                continue  # the date itself is no anniversary; older ones are not fired late
            yield _event(rule, EventType.ACCOUNT_ANNIVERSARY, "account", account.pk,
                         f"{field}:{year}", {
                **account_event_data(account), "field": field, "date": date,
                "anniversary": day, "years": year - date.year,
            })  # fmt: skip


def _event(
    rule: Rule, kind: str, record_type: str, record_id: object, occurrence: str,
    data: dict[str, Any],
) -> Event:  # fmt: skip
    event = event_build(kind=kind, record_type=record_type, record_id=record_id, data=data)
    event.rule, event.key = rule, f"{rule.pk}:{record_type}:{record_id}:{occurrence}"
    return event


def time_events_scan() -> dict[str, int]:
    """Write the time-based events reached at ``clock.now()`` that do not exist yet; returns
    how many were new (``time_events``)."""
    rules = list(Rule.objects.filter(enabled=True, trigger__in=TIME_TRIGGERS).order_by("pk"))
    if not rules:
        return {}
    now = clock.now()
    zones = _Zones()
    found: list[Event] = []
    for rule in rules:
        if rule.trigger == EventType.TASK_OVERDUE:
            found += _task_overdue(rule, now, zones)
        elif rule.trigger == EventType.ACCOUNT_PAST_CADENCE:
            found += _past_cadence(rule, now)
        else:
            found += _anniversary(rule, now)
    made = 0
    for start in range(0, len(found), 500):
        chunk = found[start : start + 500]
        with write_atomic():
            # Skip the occurrences written before (by an earlier tick, or another scheduler
            # at this instant: then the unique key refuses the second insert, and
            # ignore_conflicts makes that a no-op rather than an error).
            taken = set(
                Event.objects.filter(key__in=[e.key for e in chunk]).values_list("key", flat=True)
            )
            new = [e for e in chunk if e.key not in taken]
            for e in new:
                e.created_at = now
            Event.objects.bulk_create(new, ignore_conflicts=True)
            made += len(new)
    return {"time_events": made} if made else {}
