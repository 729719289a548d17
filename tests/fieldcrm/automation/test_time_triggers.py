"""Time-based triggers: the scheduler's scan fires once per (rule, record, occurrence)."""

import datetime as dt
import threading

import pytest

from fieldcrm.accounts.models import CustomFieldDefinition
from fieldcrm.automation.engine import events_process
from fieldcrm.automation.models import Event, RuleRun
from fieldcrm.automation.schedule import time_events_scan
from fieldcrm.automation.services import rule_create, rule_from_preset, webhook_create
from fieldcrm.core.errors import DomainError
from fieldcrm.notifications import clock
from fieldcrm.notifications.models import Notification
from fieldcrm.tasks.models import Task
from tests.factories import make_account

T0 = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def tick(at):
    """One scheduler round at ``at``: the scan, then the outbox (what run_worker does); what
    it wrote and ran (not the count of other events it closed, such as account.created)."""
    with clock.frozen(at):
        done = {**time_events_scan(), **events_process()}
    return {k: v for k, v in done.items() if k != "events"}


def notify_rule(world, trigger, params, **extra):
    return rule_create(actor=world.admin, data={
        "name": trigger, "trigger": trigger, "trigger_params": params,
        "actions": [{"type": "notify", "to": ["owner"], "message": "{title}"}], **extra,
    })  # fmt: skip


def test_a_task_becoming_overdue_fires_once_and_again_when_re_dated_and_late_again(world):
    rule = notify_rule(world, "task.overdue", {"days": 0})
    task = Task.objects.create(title="Send the offer", assignee=world.rep1,
                               due_at=T0 + dt.timedelta(hours=1))  # fmt: skip
    assert tick(T0) == {}  # not yet due
    outcome = tick(T0 + dt.timedelta(hours=2))
    assert outcome == {"time_events": 1, "rule_done": 1}
    assert tick(T0 + dt.timedelta(hours=3)) == {}  # the second tick: nothing
    n = Notification.objects.get(recipient=world.rep1, kind="automation")
    assert n.params["title"] == "Send the offer"
    # Re-dated, then overdue again: a new occurrence.
    task.due_at = T0 + 2 * DAY
    task.save()
    assert tick(T0 + DAY) == {}
    assert tick(T0 + 2 * DAY + dt.timedelta(hours=1))["rule_done"] == 1
    assert Notification.objects.filter(kind="automation").count() == 2
    assert RuleRun.objects.filter(rule=rule, status="done").count() == 2
    # Done tasks are never overdue.
    task.done_at = T0
    task.due_at = T0 + 3 * DAY
    task.save()
    assert tick(T0 + 4 * DAY) == {}


def test_overdue_after_n_days_and_an_all_day_task_is_late_when_its_day_ends(world):
    notify_rule(world, "task.overdue", {"days": 2})
    # Midnight in rep1's zone (UTC here): a task due on 3 March, overdue from 4 March.
    Task.objects.create(title="All day", assignee=world.rep1,
                        due_at=dt.datetime(2026, 3, 3, tzinfo=dt.UTC))  # fmt: skip
    assert tick(dt.datetime(2026, 3, 5, 23, tzinfo=dt.UTC)) == {}
    assert tick(dt.datetime(2026, 3, 6, 0, 30, tzinfo=dt.UTC))["rule_done"] == 1
    assert Event.objects.get(kind="task.overdue").data["days_overdue"] == 2


def test_an_account_n_days_past_its_cadence_fires_once_per_due_visit(world):
    rule = rule_create(actor=world.admin, data={
        "name": "Neglected", "trigger": "account.past_cadence", "trigger_params": {"days": 30},
        "actions": [{"type": "create_task", "title": "Visit {name}", "due_in_days": 1,
                     "assignee": "owner"}],
    })  # fmt: skip
    account = make_account("Bakery", owner=world.rep1, visit_frequency_days=14)
    account.last_visited_at = T0 - 14 * DAY  # the visit was due at T0
    account.save()
    assert account.visit_due_at == T0
    assert tick(T0 + 29 * DAY) == {}
    assert tick(T0 + 30 * DAY)["rule_done"] == 1
    assert tick(T0 + 31 * DAY) == {}
    task = Task.objects.get(account=account)
    assert (task.title, task.assignee, task.due_at) == ("Visit Bakery", world.rep1, T0 + 31 * DAY)
    # Visited again: the next due visit is a new occurrence.
    account.last_visited_at = T0 + 32 * DAY
    account.save()
    assert tick(T0 + 32 * DAY + 44 * DAY)["rule_done"] == 1
    assert Task.objects.filter(account=account).count() == 2
    assert RuleRun.objects.filter(rule=rule).count() == 2


def test_the_not_visited_for_30_days_template_gives_the_owner_a_task(world):
    rule = rule_from_preset(actor=world.admin, key="not_visited_30_days")
    assert rule.trigger_params == {"days": 30, "since": "last_visit"}
    customer = make_account("Café", owner=world.rep1, status="customer")
    customer.last_visited_at = T0
    customer.save()
    prospect = make_account("Maybe", owner=world.rep1, status="prospect")
    prospect.last_visited_at = T0
    prospect.save()
    assert tick(T0 + 29 * DAY) == {}
    outcome = tick(T0 + 30 * DAY)
    assert outcome["rule_done"] == 1 and outcome["rule_skipped"] == 1  # the prospect
    task = Task.objects.get()
    assert (task.account, task.assignee, task.kind) == (customer, world.rep1, "visit")
    assert task.title == "Visit: Café (not visited for 30 days)"
    run = RuleRun.objects.get(rule=rule, status="done")
    assert run.event.kind == "account.past_cadence" and run.event.record_id == str(customer.pk)
    assert run.log == [f"Task “{task.title}” for rep1, due {(T0 + 31 * DAY).date()}"]
    assert tick(T0 + 31 * DAY) == {}


def test_a_date_fields_anniversary_fires_each_year_once(world):
    CustomFieldDefinition.objects.create(key="birthday", label="Birthday", kind="date")
    notify_rule(world, "account.anniversary", {"field": "birthday"})
    account = make_account("Anna's shop", owner=world.rep1,
                           custom_fields={"birthday": "1980-03-05"})  # fmt: skip
    make_account("No birthday", owner=world.rep1)
    assert tick(dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)) == {}
    assert tick(dt.datetime(2026, 3, 5, 8, tzinfo=dt.UTC))["rule_done"] == 1
    assert tick(dt.datetime(2026, 3, 6, 8, tzinfo=dt.UTC)) == {}
    assert tick(dt.datetime(2027, 3, 5, 8, tzinfo=dt.UTC))["rule_done"] == 1
    years = sorted(e.data["years"] for e in Event.objects.filter(kind="account.anniversary"))
    assert years == [46, 47]
    anniversaries = Event.objects.filter(kind="account.anniversary")
    assert {e.record_id for e in anniversaries} == {str(account.pk)}


def test_each_rule_has_its_own_moment_and_a_disabled_one_none(world):
    a = notify_rule(world, "task.overdue", {"days": 0})
    b = notify_rule(world, "task.overdue", {"days": 1})
    notify_rule(world, "task.overdue", {"days": 0}, enabled=False)
    Task.objects.create(title="Late", assignee=world.rep1, due_at=T0)
    tick(T0 + dt.timedelta(hours=1))
    assert list(RuleRun.objects.values_list("rule", flat=True)) == [a.pk]
    tick(T0 + DAY + dt.timedelta(hours=1))
    assert sorted(RuleRun.objects.values_list("rule", flat=True)) == sorted([a.pk, b.pk])


def test_trigger_parameters_are_checked_and_name_the_field(world):
    with pytest.raises(DomainError) as refused:
        notify_rule(world, "account.anniversary", {"field": "nope"})
    assert refused.value.field == "trigger_params.field"
    with pytest.raises(DomainError) as refused:
        notify_rule(world, "account.past_cadence", {"days": 999})
    assert refused.value.field == "trigger_params.days"
    with pytest.raises(DomainError) as refused:
        notify_rule(world, "account.past_cadence", {"days": 3, "since": "x"})
    assert refused.value.field == "trigger_params.since"
    with pytest.raises(DomainError) as refused:
        webhook_create(actor=world.admin, data={"url": "https://example.com/h",
                                                "event_types": ["task.overdue"]})  # fmt: skip
    assert refused.value.field == "event_types"
    assert notify_rule(world, "task.created", {"days": 3}).trigger_params == {}


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_the_same_instant_fire_once(world):
    # Real concurrent connections on PostGIS (as test_rules' two workers): both scans find
    # the same moments; the unique key lets one insert each, the run's key one task each.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (SQLite's test database is one shared memory DB)")
    rule_create(actor=world.admin, data={
        "name": "Late", "trigger": "task.overdue", "trigger_params": {"days": 0},
        "actions": [{"type": "create_task", "title": "Chase {title}", "assignee": "owner"}],
    })  # fmt: skip
    late = [Task.objects.create(title=f"T{i}", assignee=world.rep1, due_at=T0) for i in range(20)]
    start = threading.Barrier(2)

    def scheduler():
        try:
            start.wait()
            tick(T0 + dt.timedelta(hours=1))
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Only the 20 late tasks are counted: a task the rule made may itself be overdue by the
    # time the other scheduler scans (whether it is depends on which thread runs first).
    events = Event.objects.filter(kind="task.overdue", record_id__in=[str(t.pk) for t in late])
    assert events.count() == 20
    assert Task.objects.filter(title__in=[f"Chase {t.title}" for t in late]).count() == 20
    assert RuleRun.objects.filter(status="done", event__in=events).count() == 20
