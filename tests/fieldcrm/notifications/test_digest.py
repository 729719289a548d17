"""The daily digest: once per user and morning, a rep's day and a manager's yesterday."""

import datetime as dt
from collections import Counter

from fieldcrm.accounts.models import Account
from fieldcrm.notifications import clock
from fieldcrm.notifications.delivery import deliveries_send
from fieldcrm.notifications.digest import digests_run
from fieldcrm.notifications.models import Delivery, Notification, NotificationSettings
from fieldcrm.notifications.texts import render
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.fieldcrm.notifications.test_delivery import inbox  # noqa: F401 - the fixture

UTC = dt.UTC
MORNING = dt.datetime(2026, 3, 4, 7, 5, tzinfo=UTC)


def run(when):
    with clock.frozen(when):
        return digests_run()


def test_a_rep_gets_their_day_once_each_morning(world):
    shop = make_account("Bakery", lng=1.05, lat=42.05, visit_frequency_days=7)
    Account.objects.filter(pk=shop.pk).update(visit_due_at=MORNING - dt.timedelta(days=1))
    Visit.objects.create(account=shop, rep=world.rep1, scheduled_on=MORNING.date())
    Task.objects.create(title="Today", assignee=world.rep1, due_at=MORNING + dt.timedelta(hours=3))
    Task.objects.create(title="Late", assignee=world.rep1, due_at=MORNING - dt.timedelta(days=2))
    assert run(MORNING - dt.timedelta(minutes=10)) == Counter()  # before 07:00
    assert run(MORNING)["daily_digest"] == 4  # rep1, rep2, rep3, the manager
    assert run(MORNING + dt.timedelta(hours=1)) == Counter()
    digest = Notification.objects.get(recipient=world.rep1)
    assert digest.params == {"role": "rep", "date": "2026-03-04", "stops": 1, "tasks_due": 1,
                             "overdue": 1, "accounts_due": 1}  # fmt: skip
    title, body = render(digest)
    assert title == "Your day, 2026-03-04" and "Stops: 1" in body
    assert not Notification.objects.filter(recipient__in=[world.admin, world.planner]).exists()


def test_a_manager_gets_yesterday_planned_versus_done_per_rep(world):
    shop = make_account("Bakery", lng=1.05, lat=42.05)
    yesterday = MORNING.date() - dt.timedelta(days=1)
    Visit.objects.create(account=shop, rep=world.rep1, scheduled_on=yesterday, status="done")
    Visit.objects.create(account=shop, rep=world.rep1, scheduled_on=yesterday)
    run(MORNING)
    digest = Notification.objects.get(recipient=world.manager)
    assert digest.params["reps"] == [{"rep": "rep1", "planned": 2, "done": 1}]
    assert digest.record_type == "dashboard"
    assert "rep1: 1 of 2 visits done" in render(digest)[1]


def test_the_digest_is_an_email_by_default_in_the_users_language(inbox, world):  # noqa: F811
    world.rep1.email = "rep1@example.com"
    world.rep1.save()
    NotificationSettings.objects.create(user=world.rep1, language="vi")
    with clock.frozen(MORNING):
        digests_run()
        deliveries_send()
    assert Delivery.objects.count() == 1  # only rep1 has an address
    (message,) = inbox.messages
    assert message["To"] == "rep1@example.com" and "2026-03-04" in message["Subject"]
    assert message["Subject"] != "Your day, 2026-03-04"
    assert "<br>" in message.get_body(("html",)).get_content()
