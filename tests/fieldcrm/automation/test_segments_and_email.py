"""A saved segment as a rule's condition ("the account is (not) in segment S", read as the
rule's owner reads it; a segment they may not apply is refused at its field), and a rule's
templated e-mail to the account's contact (through the e-mail service and its suppression
list)."""

import pytest
from django.test import Client

from fieldcrm.accounts.models import Contact
from fieldcrm.automation.engine import events_process
from fieldcrm.automation.models import Rule, RuleRun
from fieldcrm.automation.services import rule_create
from fieldcrm.core.errors import DomainError
from fieldcrm.crm.models import Segment
from fieldcrm.deals.services import deal_create
from fieldcrm.emails.models import Email
from fieldcrm.emails.services import suppression_add
from fieldcrm.tasks.models import Task
from tests.factories import make_account
from tests.fieldcrm.automation import test_rules

sales = test_rules.sales  # the fixture: a pipeline, an account and its deal
move = test_rules.move


def _segment(owner, *, shared=False, name="Customers"):
    return Segment.objects.create(owner=owner, name=name, list_name="accounts",
                                  is_shared=shared, query={"status": ["customer"]})  # fmt: skip


def _rule(admin, segment, op="in_segment"):
    return rule_create(actor=admin, data={
        "name": "Customers' offers", "trigger": "deal.stage_entered",
        "conditions": [{"op": op, "value": segment.pk},
                       {"field": "stage", "op": "eq", "value": "Proposal"}],
        "actions": [{"type": "create_task", "title": "Call {name}", "due_in_days": 1}],
    })  # fmt: skip


@pytest.mark.parametrize("op", ["in_segment", "not_in_segment"])
def test_a_segment_condition_runs_the_rule_for_the_accounts_in_it_only(world, sales, op):
    segment = _segment(world.admin)
    rule = _rule(world.admin, segment, op)
    assert rule.conditions[0] == {"field": "account", "op": op, "value": segment.pk}
    customer = make_account("Beta", lng=1.03, lat=42.03, status="customer")
    other = deal_create(actor=world.rep1, data={"account_id": customer.pk, "name": "Grinder"})
    assert sales["account"].status != "customer"
    move(world, sales["deal"], sales["stages"]["Proposal"])
    move(world, other, sales["stages"]["Proposal"])
    events_process()
    made = {t.deal.name for t in Task.objects.filter(deal__isnull=False)}
    assert made == ({"Grinder"} if op == "in_segment" else {"Espresso"})
    skipped = RuleRun.objects.get(status="skipped")
    assert f"account {op} {segment.pk}" in skipped.log[0]


def test_a_segment_the_owner_may_no_longer_apply_is_not_met(world, sales):
    segment = _segment(world.manager, shared=True)  # shared: the admin may apply it
    _rule(world.admin, segment)
    customer = make_account("Beta", lng=1.03, lat=42.03, status="customer")
    deal = deal_create(actor=world.rep1, data={"account_id": customer.pk, "name": "Grinder"})
    Segment.objects.filter(pk=segment.pk).update(is_shared=False)  # now the manager's own
    move(world, deal, sales["stages"]["Proposal"])
    events_process()
    assert not Task.objects.filter(deal=deal).exists()
    assert RuleRun.objects.get().status == "skipped"


def test_someone_elses_private_segment_is_refused_at_its_field(world, as_user):
    private = _segment(world.manager)
    with pytest.raises(DomainError) as refused:
        _rule(world.admin, private)
    assert refused.value.field == "conditions.0.value"
    api = as_user("admin").post("automation/rules", {
        "name": "x", "trigger": "deal.created",
        "conditions": [{"op": "in_segment", "value": private.pk}],
        "actions": [{"type": "notify", "message": "hi", "to": ["owner"]}],
    })  # fmt: skip
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["body", "conditions", "0", "value"]
    assert not Rule.objects.exists()


def test_the_rule_page_edits_a_segment_row_and_refuses_one_the_admin_may_not_apply(world):
    mine, private = _segment(world.admin), _segment(world.manager, name="Private")
    admin = Client()
    admin.force_login(world.admin)
    form = admin.get("/crm/settings/automation").content.decode()
    assert f'<option value="{mine.pk}">Customers</option>' in form
    assert "Private" not in form  # not offered
    post = {"name": "Seg", "trigger": "deal.created", "c0_op": "in_segment",
            "a0_type": "notify", "a0_text": "hi", "a0_who": "owner"}  # fmt: skip
    refused = admin.post("/crm/settings/automation", {**post, "c0_segment": str(private.pk)})
    assert refused.status_code == 400
    assert "Segment: Select a valid choice." in refused.content.decode()
    empty = admin.post("/crm/settings/automation", post)
    assert empty.status_code == 400
    assert "Segment: Choose a saved segment." in empty.content.decode()
    assert not Rule.objects.exists()
    saved = admin.post("/crm/settings/automation", {**post, "c0_segment": str(mine.pk)})
    assert saved.status_code == 302
    rule = Rule.objects.get()
    assert rule.conditions == [{"field": "account", "op": "in_segment", "value": mine.pk}]
    edit = admin.get(f"/crm/settings/automation/{rule.pk}/edit").content.decode()
    assert f'<option value="{mine.pk}" selected>Customers</option>' in edit


def _mail_rule(admin):
    return rule_create(actor=admin, data={
        "name": "Offer sent", "trigger": "deal.stage_entered",
        "actions": [{"type": "send_email", "subject": "Our offer: {name}",
                     "body": "Dear customer, the offer {name} is on its way."}],
    })  # fmt: skip


def test_a_rule_emails_the_accounts_primary_contact_through_the_email_service(world, sales):
    account = sales["account"]
    Contact.objects.create(account=account, name="Bea", email="bea@example.com")
    Contact.objects.create(account=account, name="Ann", email="ann@example.com", is_primary=True)
    _mail_rule(world.admin)
    move(world, sales["deal"], sales["stages"]["Proposal"])
    events_process()
    (email,) = Email.objects.all()
    assert (email.to_address, email.subject) == ("ann@example.com", "Our offer: Espresso")
    assert email.status == "queued" and email.delivery.status == "pending"  # the worker sends it
    assert RuleRun.objects.get().log == ["E-mail “Our offer: Espresso” to Ann queued"]


def test_a_suppressed_contact_gets_no_rule_email_and_the_run_says_why(world, sales):
    Contact.objects.create(account=sales["account"], name="Ann", email="ann@example.com")
    suppression_add(address="ann@example.com", reason="unsubscribed")
    _mail_rule(world.admin)
    move(world, sales["deal"], sales["stages"]["Proposal"])
    events_process()
    run = RuleRun.objects.get()
    assert run.status == "failed" and "suppression list" in run.log[0]
    assert not Email.objects.exists()


def test_an_email_action_needs_a_subject_and_a_text_on_the_page(world):
    admin = Client()
    admin.force_login(world.admin)
    refused = admin.post("/crm/settings/automation", {
        "name": "Mail", "trigger": "deal.created", "c0_op": "eq", "a0_type": "send_email",
        "a0_text": "Hello {name}"})  # fmt: skip
    assert refused.status_code == 400
    assert "E-mail subject: This field cannot be empty." in refused.content.decode()
    saved = admin.post("/crm/settings/automation", {
        "name": "Mail", "trigger": "deal.created", "c0_op": "eq", "a0_type": "send_email",
        "a0_subject": "Hi {name}", "a0_text": "Hello {name}"})  # fmt: skip
    assert saved.status_code == 302
    assert Rule.objects.get().actions == [
        {"type": "send_email", "subject": "Hi {name}", "body": "Hello {name}"}
    ]
