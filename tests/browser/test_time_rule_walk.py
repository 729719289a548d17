"""An admin writes "an account 30 days past its visit cadence → a task for the owner" on the
settings page (trigger parameters and action rows, no script); one scheduler round with the
clock moved 30 days on makes the owner's task, and the run log on the page shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from fieldcrm.automation.models import Rule, RuleRun
from fieldcrm.notifications import clock
from fieldcrm.tasks.models import Task
from tests.factories import make_account

pytestmark = pytest.mark.browser


def test_an_admin_builds_a_past_cadence_rule_and_a_moved_clock_fires_it(laptops, world):
    shop = make_account("Bakery Süd", owner=world.rep1, status="customer",
                        visit_frequency_days=14)  # fmt: skip
    shop.last_visited_at = timezone.now() - dt.timedelta(days=14)  # the visit is due now
    shop.save()

    admin = laptops("admin", "/crm/settings/automation")
    admin.get_by_label("Name").fill("Neglected 30 days")
    admin.locator("#rule_trigger").select_option("account.past_cadence")
    admin.locator("#rule_days").fill("30")
    admin.locator("#rule_a0_type").select_option("create_task")
    admin.locator("#rule-submit").click()  # no title: the service refuses that row
    admin.locator("#rule_a0_text-error").wait_for()
    assert not Rule.objects.exists()
    admin.locator("#rule_a0_text").fill("Visit {name}")
    admin.locator("#rule_a0_due").fill("1")
    admin.locator("#rule_a0_who").select_option("owner")
    admin.locator("#rule-submit").click()
    admin.get_by_text("Rule saved.").wait_for()
    rule = Rule.objects.get()
    assert rule.trigger_params == {"days": 30, "since": "visit_due"}
    assert "days=30" in admin.locator(f"#rule-{rule.pk}").inner_text()

    call_command("run_worker", "--once")  # today: not yet 30 days past
    assert not Task.objects.filter(account=shop).exists()
    with clock.frozen(timezone.now() + dt.timedelta(days=30, hours=1)):
        call_command("run_worker", "--once")
        call_command("run_worker", "--once")  # the second round: nothing more
    task = Task.objects.get(account=shop)
    assert (task.title, task.assignee) == ("Visit Bakery Süd", world.rep1)
    assert RuleRun.objects.get().status == "done"

    admin.reload()
    log = admin.locator("#automation-runs").inner_text()
    assert "Neglected 30 days" in log and "Task “Visit Bakery Süd” for rep1" in log
