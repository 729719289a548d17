"""An admin makes a rule from a template and subscribes a webhook in the settings pages; a
manager moves a deal into Proposal on the board; one worker round later the task is on the
deal's page and the webhook's log shows the accepted delivery (a real local HTTP receiver)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from fieldcrm.automation.models import Rule, Webhook
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.tasks.models import Task
from tests.factories import make_account
from tests.fieldcrm.automation.test_webhooks import receiver

pytestmark = pytest.mark.browser


def test_a_rule_from_a_template_and_a_webhook_fire_when_a_manager_moves_a_deal(laptops, world):
    shop = make_account("Bakery Nord", lng=1.05, status="customer")
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    new, proposal = (
        Stage.objects.create(pipeline=pipeline, name=n, position=i)
        for i, n in enumerate(("New", "Proposal"))
    )
    ovens = Deal.objects.create(account=shop, name="Ovens", pipeline=pipeline, stage=new,
                                amount=100, owner=world.rep1)  # fmt: skip

    admin = laptops("admin", "/crm/settings/automation")
    admin.locator("#rules-empty").wait_for()
    admin.locator("#template-offer_follow_up").click()
    admin.get_by_text("made from the template").wait_for()
    assert "Commercial offer sent" in admin.locator("#automation-rules").inner_text()
    assert Rule.objects.get().created_by == world.admin

    with receiver() as r:
        admin.locator("header.site-header nav").get_by_role("link", name="Settings").click()
        admin.locator("#settings-pages").get_by_role("link", name="Webhooks").click()
        admin.wait_for_url("**/crm/settings/webhooks")
        admin.get_by_role("textbox", name="URL").fill("ftp://nowhere.example")
        admin.get_by_label("A deal enters a stage").check()
        admin.locator("#webhook-submit").click()
        admin.get_by_text("Enter an http:// or https:// address.").first.wait_for()
        admin.get_by_role("textbox", name="URL").fill(r.url)
        admin.get_by_label("A deal enters a stage").check()
        admin.locator("#webhook-submit").click()
        admin.locator("#webhook-log-empty").wait_for()
        hook = Webhook.objects.get()
        assert admin.locator("#webhook-secret").inner_text() == hook.secret

        manager = laptops("manager", "/crm/deals/board/")
        card = manager.locator(f"#deal-{ovens.pk}")
        card.locator("select").select_option(str(proposal.pk))
        card.get_by_role("button", name="Move").click()
        manager.get_by_text("Ovens moved to Proposal.").wait_for()

        call_command("run_worker", "--once")  # the outbox, then the deliveries: one round

        (headers, body) = r.accepted[0]
        assert len(r.requests) == 1 and headers["FieldCRM-Event"] == "deal.stage_entered"
        assert json.loads(body)["data"]["stage"] == "Proposal"

    manager.goto(f"{manager.url.split('/crm/')[0]}/crm/deals/{ovens.pk}/")
    task = Task.objects.get(deal=ovens)
    assert task.assignee == world.rep1
    manager.get_by_text("Call about the offer: Ovens").wait_for()

    admin.reload()
    log = admin.locator("#webhook-log")
    assert "deal.stage_entered" in log.inner_text() and "HTTP 204" in log.inner_text()
    assert "Sent" in log.locator(".delivery-status").inner_text()
