"""The scheduler, with the clock moved (never waited for): what is due is told once."""

import datetime as dt
from collections import Counter

from django.core.management import call_command

from fieldcrm.accounts.models import Account
from fieldcrm.notifications import clock
from fieldcrm.notifications.models import Delivery, Notification, NotificationPreference
from fieldcrm.notifications.reminders import reminders_run
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account

UTC = dt.UTC


def at(day, hour, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def run(when):
    with clock.frozen(when):
        return reminders_run()


def keys(user):
    return sorted(n.key.split(":", 3)[-1] for n in Notification.objects.filter(recipient=user))


def test_a_timed_task_reminds_in_the_morning_then_before_then_overdue_then_the_manager(world):
    # The test regions keep the default zone, UTC; the rep's shift starts at 08:30.
    task = Task.objects.create(title="Call Anna", assignee=world.rep1, due_at=at(3, 10))
    assert run(at(3, 8)) == Counter()  # before the rep's shift starts (08:30)
    assert run(at(3, 8, 45)) == Counter(task_due=1)
    assert run(at(3, 8, 50)) == Counter()  # a second run makes nothing
    assert run(at(3, 9, 30)) == Counter(task_due=1)  # 30 minutes before
    assert run(at(3, 10)) == Counter(task_overdue=1)
    assert run(at(4, 10)) == Counter()
    assert run(at(5, 10)) == Counter(task_overdue_manager=1)  # two days overdue
    assert run(at(6, 10)) == Counter()
    assert keys(world.rep1) == ["before", "morning", "overdue"]
    told = Notification.objects.get(recipient=world.manager)
    assert told.params["rep"] == "rep1" and told.params["days"] == 2
    assert told.record_type == "task" and told.record_id == task.pk


def test_a_first_run_close_to_the_due_time_sends_one_reminder_not_two(world):
    Task.objects.create(title="Call", assignee=world.rep1, due_at=at(3, 10))
    assert run(at(3, 9, 45)) == Counter(task_due=1)
    assert run(at(3, 9, 50)) == Counter()
    assert keys(world.rep1) == ["before"]


def test_an_all_day_task_reminds_in_the_morning_and_is_overdue_the_next_day(world):
    Task.objects.create(title="Send offer", assignee=world.rep1, due_at=at(3, 0))
    assert run(at(3, 8)) == Counter()
    assert run(at(3, 8, 30)) == Counter(task_due=1)
    assert run(at(3, 23, 59)) == Counter()
    assert run(at(4, 0)) == Counter(task_overdue=1)


def test_the_day_and_the_morning_are_the_assignees_own_time_zone(world):
    world.north.timezone = "Asia/Ho_Chi_Minh"  # UTC+7
    world.north.save()
    # Midnight in Ho Chi Minh City on 4 March is 17:00 UTC on the 3rd: an all-day task.
    Task.objects.create(title="Visit day", assignee=world.rep1, due_at=at(3, 17))
    assert run(at(4, 1)) == Counter()  # 08:00 local
    assert run(at(4, 1, 30)) == Counter(task_due=1)  # 08:30 local
    assert run(at(4, 16, 59)) == Counter()
    assert run(at(4, 17)) == Counter(task_overdue=1)  # the local day is over


def test_done_tasks_and_other_peoples_settings_are_left_alone_and_a_new_due_time_reminds_again(
    world,
):
    Task.objects.create(title="Done", assignee=world.rep1, due_at=at(3, 10), done_at=at(2, 9))
    moved = Task.objects.create(title="Moved", assignee=world.rep2, due_at=at(3, 10))
    NotificationPreference.objects.create(user=world.rep2, kind="task_overdue", channel="off")
    assert run(at(3, 9, 30)) == Counter(task_due=1)
    moved.due_at = at(3, 12)
    moved.save()
    assert run(at(3, 11, 30)) == Counter(task_due=1)
    assert run(at(3, 12)) == Counter()  # overdue is off for rep2
    assert Notification.objects.count() == 2


def test_an_account_past_its_visit_cadence_reminds_its_owner_once(world):
    account = make_account("Bakery", owner=world.rep1, visit_frequency_days=14)
    Account.objects.filter(pk=account.pk).update(visit_due_at=at(3, 9))
    assert run(at(3, 8)) == Counter()
    assert run(at(3, 9)) == Counter(account_visit_due=1)
    assert run(at(4, 9)) == Counter()
    n = Notification.objects.get()
    assert (n.recipient, n.record_type, n.record_id) == (world.rep1, "account", account.pk)
    assert n.params == {"name": "Bakery", "days": 14}


def test_run_worker_once_reminds_and_delivers(world, settings):
    world.rep1.email = "rep1@example.com"
    world.rep1.save()
    NotificationPreference.objects.create(user=world.rep1, kind="task_overdue", channel="email")
    Task.objects.create(title="Late", assignee=world.rep1, due_at=at(3, 10))
    with clock.frozen(at(3, 13)):  # after the morning's digests
        call_command("run_worker", "--once")
    assert Notification.objects.get().kind == "task_overdue"
    assert Delivery.objects.get().status == "sent"  # (locmem: the SMTP path is test_delivery's)


def test_a_booked_visit_reminds_its_rep_the_evening_before(world):
    account = make_account("Pharmacy", lng=1.05, lat=42.05)
    Visit.objects.create(account=account, rep=world.rep1, scheduled_on=dt.date(2026, 3, 4),
                         is_required=True, window_start=dt.time(9, 30))  # fmt: skip
    Visit.objects.create(account=account, rep=world.rep2, scheduled_on=dt.date(2026, 3, 4))
    assert run(at(3, 17, 59)) == Counter()
    assert run(at(3, 18)) == Counter(visit_booked=1)
    assert run(at(3, 21)) == Counter()
    n = Notification.objects.get()
    assert (n.recipient, n.record_type, n.record_id) == (world.rep1, "account", account.pk)
    assert n.params == {"name": "Pharmacy", "time": "09:30"}
