"""Reads of tasks. Every one starts from the caller's scope."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from fieldcrm.access import get_scoped, scoped
from fieldcrm.tasks.models import Task
from fieldcrm.tasks.schemas import TaskFilters
from fieldcrm.territories.models import Region
from fieldcrm.users.models import User


def user_timezone(*, user: User) -> zoneinfo.ZoneInfo:
    """The time zone of the user's region (as a member, manager or rep), else the site's."""
    name = (
        Region.objects.filter(Q(members=user) | Q(manager=user) | Q(territories__reps=user))
        .order_by("name", "pk")
        .values_list("timezone", flat=True)
        .first()
    )
    for candidate in (name, settings.TIME_ZONE):
        try:
            return zoneinfo.ZoneInfo(candidate or "")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zoneinfo.ZoneInfo("UTC")


def today_bounds(*, user: User, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the user's current day, as aware datetimes."""
    tz = user_timezone(user=user)
    local = (now or timezone.now()).astimezone(tz)
    start = dt.datetime.combine(local.date(), dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start, end


def task_list(*, actor: User, filters: TaskFilters) -> QuerySet[Task]:
    """The caller's tasks, soonest due first (undated last), ties by id."""
    qs = scoped(Task, actor)
    if filters.mine:
        qs = qs.filter(assignee=actor)
    if filters.assignee is not None:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.account is not None:
        qs = qs.filter(account_id=filters.account)
    if filters.done is not None:
        qs = qs.filter(done_at__isnull=not filters.done)
    if filters.due_today:
        start, end = today_bounds(user=actor)
        qs = qs.filter(done_at__isnull=True, due_at__gte=start, due_at__lt=end)
    if filters.overdue:
        qs = qs.filter(done_at__isnull=True, due_at__lt=timezone.now())
    return qs.prefetch_related("attendees").order_by(F("due_at").asc(nulls_last=True), "id")


def task_get(*, actor: User, task_id: object) -> Task:
    return get_scoped(Task, actor, task_id)
