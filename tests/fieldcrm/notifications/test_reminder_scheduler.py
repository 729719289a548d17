"""The scheduler's incremental passes (issue 17): reading only what changed since the last pass
and what fell due since it makes exactly what a full pass over every task would, in every zone,
across midnights, shift starts and a daylight-saving change; and its queries are index lookups.
"""

import datetime as dt
import random
import re
import zoneinfo

import pytest
from django.db import connection

from fieldcrm.core.models import ChangeCounter
from fieldcrm.notifications import clock, reminders
from fieldcrm.notifications.models import Notification, NotificationSettings, SchedulerMark
from fieldcrm.notifications.reminders import reminders_run
from fieldcrm.tasks.models import Task

UTC = dt.UTC
# New York moves its clocks on 8 March 2026; the run crosses it.
T0 = dt.datetime(2026, 3, 6, 20, 0, tzinfo=UTC)


def _tasks(world, rng: random.Random) -> None:
    zones = {world.rep1: "America/New_York", world.rep2: "America/New_York",
             world.rep3: "Asia/Ho_Chi_Minh"}  # fmt: skip
    for rep, zone in zones.items():
        tz = zoneinfo.ZoneInfo(zone)
        for n in range(12):
            day = (T0 + dt.timedelta(days=rng.randrange(-4, 4))).astimezone(tz).date()
            if n % 3 == 0:  # due on a day: local midnight
                due = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
            else:
                due = dt.datetime.combine(day, dt.time(rng.randrange(24), 15 * rng.randrange(4)),
                                          tzinfo=tz)  # fmt: skip
            Task.objects.create(title=f"{rep.username} {n}", assignee=rep, due_at=due)


def test_incremental_passes_make_exactly_what_full_passes_would(world, monkeypatch):
    world.north.timezone, world.south.timezone = "America/New_York", "Asia/Ho_Chi_Minh"
    world.north.save()
    world.south.save()
    world.rep2.shift_start = dt.time(6, 45)
    world.rep2.save()
    NotificationSettings.objects.create(user=world.rep1, lead_minutes=90)
    _tasks(world, random.Random(17))
    monkeypatch.setattr(reminders, "FULL_EVERY", dt.timedelta(days=30))  # never a full one
    at, made = T0, 0
    while at < T0 + dt.timedelta(days=4):
        with clock.frozen(at):
            made += sum(reminders_run().values())
            # What a full pass at this instant finds still to make: nothing.
            SchedulerMark.objects.all().delete()
            before = set(Notification.objects.values_list("key", flat=True))
            missed = reminders_run()
            assert not missed, (
                at,
                set(Notification.objects.values_list("key", flat=True)) - before,
            )
            if at == T0 + dt.timedelta(days=1, minutes=30):
                # Changes between passes: a task made with its lead time already past, one
                # moved to later today, and a longer lead time (no task changes for it).
                Task.objects.create(title="late", assignee=world.rep3,
                                    due_at=at + dt.timedelta(minutes=20))  # fmt: skip
                moved = Task.objects.filter(assignee=world.rep1).order_by("pk").first()
                moved.due_at = at + dt.timedelta(hours=3)
                moved.save()
                NotificationSettings.objects.filter(user=world.rep1).update(lead_minutes=240)
        at += dt.timedelta(minutes=45)
    assert made > 40 and Notification.objects.count() == made
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == {"task_due", "task_overdue", "task_overdue_manager"}


def test_a_pass_after_a_gap_or_with_the_clock_gone_back_reads_everything(world):
    task = Task.objects.create(title="t", assignee=world.rep1, due_at=T0)
    with clock.frozen(T0 - dt.timedelta(days=1)):
        reminders_run()
    mark = SchedulerMark.objects.get()
    # The row changes behind the scheduler's back (no change number), due long ago.
    Task.objects.filter(pk=task.pk).update(due_at=T0 - dt.timedelta(hours=5))
    with clock.frozen(T0 - dt.timedelta(days=1) + dt.timedelta(hours=2)):
        assert reminders_run() == {}  # a full pass is over an hour away
    with clock.frozen(T0):
        assert reminders_run() == {"task_overdue": 1}  # a gap: the whole window again
    assert SchedulerMark.objects.get().full_at == T0 and mark.full_at < T0
    with clock.frozen(T0 - dt.timedelta(days=3)):
        reminders_run()  # the clock went back: full, and the mark follows it
    assert SchedulerMark.objects.get().ran_at == T0 - dt.timedelta(days=3)


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


def _scans(plan: str) -> bool:
    if connection.vendor == "postgresql":
        return re.search(r"Seq Scan on tasks_task\b", plan) is not None
    return re.search(r"\bSCAN tasks_task\b", plan) is not None


@pytest.mark.django_db
def test_an_incremental_passs_task_queries_are_index_lookups(world):
    # Enough open tasks, spread over two months and many change numbers, that after ANALYZE
    # a scan would cost the planner more than the lookups, as with a live table.
    rows = [Task(title=f"t{i}", assignee=world.rep1, change_seq=i + 1,
                 due_at=T0 + dt.timedelta(minutes=37 * i)) for i in range(3000)]  # fmt: skip
    Task.objects.bulk_create(rows)
    ChangeCounter.objects.update_or_create(pk=1, defaults={"value": 3000})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # Passes across a shift start (08:30 UTC: the morning reminders) and a midnight (the
    # day-long tasks' overdue): every kind of range.
    for now in (
        T0 + dt.timedelta(days=10, hours=12, minutes=30),
        T0 + dt.timedelta(days=11, hours=4),
    ):
        mark = SchedulerMark(ran_at=now - dt.timedelta(minutes=1), change_seq=2990)
        queries = reminders._since_queries(mark, now)
        assert len(queries) >= 4
        for qs in queries:
            plan = _plan(qs)
            assert not _scans(plan), plan
