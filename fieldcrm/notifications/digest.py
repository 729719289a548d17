"""The daily digest, made at 07:00 in each user's zone (once per user and day, by key):
a rep's day (stops, tasks due, overdue, accounts due for a visit) and a manager's yesterday
(visits planned vs done per rep, overdue tasks, new leads). Its figures are taken when it is
made and kept in its params, so the e-mail and the bell say the same thing in any language.
By default it goes by e-mail (to a user with an address); it is a kind like the others, so a
user may choose in app or off."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Q

from fieldcrm.access import region_ids, scoped
from fieldcrm.accounts.models import Account
from fieldcrm.notifications import clock
from fieldcrm.notifications.models import Notification, NotificationKind
from fieldcrm.notifications.services import notification_create
from fieldcrm.tasks.models import Task
from fieldcrm.tasks.selectors import user_timezone
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

DIGEST_AT = dt.time(7)
LATEST = dt.time(12)  # a scheduler down all morning does not send "your day" at night


def _day(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)


def rep_day(*, rep: User, day: dt.date, tz: dt.tzinfo) -> dict[str, Any]:
    start, end = _day(day, tz)
    tasks = scoped(Task, rep).filter(assignee=rep, done_at__isnull=True)
    return {
        "role": "rep",
        "date": day.isoformat(),
        "stops": scoped(Visit, rep)
        .filter(rep=rep, scheduled_on=day, status=Visit.Status.PLANNED)
        .count(),
        "tasks_due": tasks.filter(due_at__gte=start, due_at__lt=end).count(),
        "overdue": tasks.filter(due_at__lt=start).count(),
        "accounts_due": scoped(Account, rep).filter(visit_due_at__lt=end).count(),
    }


def manager_yesterday(*, manager: User, day: dt.date, tz: dt.tzinfo) -> dict[str, Any]:
    start, end = _day(day, tz)
    reps = User.objects.filter(
        role=User.Role.REP, is_active=True, territories__region__in=region_ids(manager)
    ).distinct()
    visits = (
        scoped(Visit, manager)
        .filter(scheduled_on=day, rep__in=reps)
        .exclude(status=Visit.Status.CANCELLED)
        .values("rep__username")
        .annotate(planned=Count("pk"), done=Count("pk", filter=Q(status=Visit.Status.DONE)))
        .order_by("rep__username")
    )
    return {
        "role": "manager",
        "date": day.isoformat(),
        "reps": [
            {"rep": v["rep__username"], "planned": v["planned"], "done": v["done"]} for v in visits
        ],
        "overdue": scoped(Task, manager).filter(done_at__isnull=True, due_at__lt=start).count(),
        "new_leads": scoped(Account, manager)
        .filter(status=Account.Status.LEAD, created_at__gte=start, created_at__lt=end)
        .count(),
    }


def digests_run() -> Counter[str]:
    """Make the digests due now (07:00–12:00 in each user's zone) that do not exist yet."""
    now = clock.now()
    made: Counter[str] = Counter()
    users = User.objects.filter(is_active=True, role__in=[User.Role.REP, User.Role.MANAGER])
    for user in users.order_by("pk"):
        tz = user_timezone(user=user)
        local = now.astimezone(tz)
        if not DIGEST_AT <= local.time() < LATEST:
            continue
        key = f"digest:{user.pk}:{local.date().isoformat()}"
        if Notification.all_objects.filter(key=key).exists():
            continue
        if user.role == User.Role.REP:
            params = rep_day(rep=user, day=local.date(), tz=tz)
            record = ("today", None)
        else:
            params = manager_yesterday(manager=user, day=local.date() - dt.timedelta(days=1), tz=tz)
            record = ("dashboard", None)
        created = notification_create(
            recipient=user, kind=NotificationKind.DAILY_DIGEST, params=params, record=record,
            key=key,
        )  # fmt: skip
        if created is not None:
            made[NotificationKind.DAILY_DIGEST.value] += 1
    return made
