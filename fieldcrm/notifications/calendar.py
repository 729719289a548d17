"""The calendar feed: a user's tasks with due times, meetings, and planned or booked visits as an
iCalendar (RFC 5545) document, built with the icalendar library."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress

from fieldcrm.access import scoped
from fieldcrm.notifications.models import CalendarFeed
from fieldcrm.tasks.models import Task
from fieldcrm.tasks.selectors import user_timezone
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

PAST = dt.timedelta(days=30)
AHEAD = dt.timedelta(days=180)
MEETING_LENGTH = dt.timedelta(hours=1)
SECRET_PREFIX = "cal_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, user: User) -> str:
    """A new secret address for the user's calendar; the previous one stops working."""
    calendar_feed_revoke(user=user)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    CalendarFeed.objects.create(user=user, key_hash=_hash(secret))
    return secret


def calendar_feed_revoke(*, user: User) -> int:
    return (
        scoped(CalendarFeed, user, write=True)
        .filter(revoked_at__isnull=True)
        .update(revoked_at=timezone.now())
    )


def calendar_feed_active(*, user: User) -> CalendarFeed | None:
    return scoped(CalendarFeed, user).filter(revoked_at__isnull=True).first()


def calendar_feed_user(*, secret: str) -> User | None:
    """The user whose live feed this secret opens, else None (unknown, revoked, inactive)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    feed = (
        CalendarFeed.objects.filter(key_hash=_hash(secret), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if feed is None or not feed.user.is_active or feed.user.access_revoked_at is not None:
        return None
    return feed.user


def feed_url(secret: str) -> str:
    return f"{settings.FIELDCRM_PUBLIC_URL}/calendar/{secret}.ics"


def _event(uid: str, summary: str, now: dt.datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@fieldcrm")
    event.add("dtstamp", now)
    event.add("summary", summary)
    return event


def _own_tasks(user: User) -> Q:
    """The tasks in a user's feed: those assigned to them (within their scope) and the
    meetings they are invited to, nobody else's."""
    invited = Task.attendees.through.objects.filter(user=user).values("task_id")
    mine = scoped(Task, user).filter(assignee=user).values("pk")
    return Q(pk__in=mine) | Q(kind=Task.Kind.MEETING, pk__in=invited)


def _task(task: Task, now: dt.datetime, tz: dt.tzinfo) -> Event:
    assert task.due_at is not None
    event = _event(f"task-{task.pk}", _("Task: %(title)s") % {"title": task.title}, now)
    local = task.due_at.astimezone(tz)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        event.add("dtstart", local.date())  # due on a day, not at a time
    else:
        event.add("dtstart", task.due_at.astimezone(dt.UTC))
        event.add("duration", dt.timedelta(minutes=15))
    if task.notes:
        event.add("description", task.notes)
    return event


def _meeting(task: Task, now: dt.datetime) -> Event:
    """A meeting at its time (an hour when no end is set), its place (else the account's
    address) and its attendees, each by e-mail address where they have one."""
    assert task.due_at is not None
    event = _event(f"task-{task.pk}", _("Meeting: %(title)s") % {"title": task.title}, now)
    event.add("dtstart", task.due_at.astimezone(dt.UTC))
    end = task.ends_at or task.due_at + MEETING_LENGTH
    event.add("dtend", end.astimezone(dt.UTC))
    place = task.location or (task.account.address if task.account else "")
    if place:
        event.add("location", place)
    if task.notes:
        event.add("description", task.notes)
    for person in sorted(task.attendees.all(), key=lambda u: u.pk):
        address = vCalAddress(
            f"mailto:{person.email}" if person.email else f"urn:fieldcrm:user:{person.pk}"
        )
        address.params["cn"] = person.display_name
        address.params["role"] = "REQ-PARTICIPANT"
        event.add("attendee", address, encode=False)
    return event


def calendar_ics(*, user: User, now: dt.datetime | None = None) -> bytes:
    """The user's own items only: open tasks assigned to them and meetings they are
    invited to, planned visits (booked ones at
    their appointment window) they are the rep of; from 30 days back to 180 ahead."""
    now = now or timezone.now()
    tz = user_timezone(user=user)
    cal = Calendar()
    cal.add("prodid", "-//FieldCRM//Calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _("FieldCRM: %(name)s") % {"name": user.display_name})
    tasks = (
        Task.objects.filter(done_at__isnull=True, due_at__gte=now - PAST, due_at__lt=now + AHEAD)
        .filter(_own_tasks(user))
        .select_related("account")
        .prefetch_related("attendees")
        .order_by("due_at", "pk")
    )
    for task in tasks:
        cal.add_component(_meeting(task, now) if task.kind == Task.Kind.MEETING
                          else _task(task, now, tz))  # fmt: skip
    visits = scoped(Visit, user).filter(
        rep=user, status=Visit.Status.PLANNED, scheduled_on__gte=(now - PAST).date(),
        scheduled_on__lt=(now + AHEAD).date(),
    )  # fmt: skip
    for visit in visits.select_related("account").order_by("scheduled_on", "pk"):
        assert visit.scheduled_on is not None
        event = _event(
            f"visit-{visit.pk}", _("Visit: %(name)s") % {"name": visit.account.name}, now
        )
        if visit.is_required and visit.window_start:
            start = dt.datetime.combine(visit.scheduled_on, visit.window_start, tzinfo=tz)
            end = (
                dt.datetime.combine(visit.scheduled_on, visit.window_end, tzinfo=tz)
                if visit.window_end and visit.window_end > visit.window_start
                else start + dt.timedelta(minutes=30)
            )
            event.add("dtstart", start.astimezone(dt.UTC))
            event.add("dtend", end.astimezone(dt.UTC))
        elif visit.planned_arrival_at is not None:
            event.add("dtstart", visit.planned_arrival_at.astimezone(dt.UTC))
            event.add("duration", dt.timedelta(minutes=30))
        else:
            event.add("dtstart", visit.scheduled_on)
        if visit.account.address:
            event.add("location", visit.account.address)
        cal.add_component(event)
    return cal.to_ical()
