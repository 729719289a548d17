"""/crm/settings/automation and /crm/settings/webhooks: admins only, field errors, escaping."""

import pytest
from django.test import Client

from fieldcrm.automation.models import Rule, Webhook


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", ["/crm/settings/automation", "/crm/settings/webhooks"])
def test_only_admins_open_the_settings_pages_and_only_they_see_the_links(world, path):
    for persona in ("manager", "rep1", "planner"):
        client = _client(getattr(world, persona))
        assert client.get(path).status_code == 403
        assert path not in client.get("/crm/tasks/").content.decode()
    admin = _client(world.admin)
    page = admin.get(path)
    assert page.status_code == 200 and 'aria-current="page"' in page.content.decode()
    assert Client().get(path).status_code == 302  # to the login page


def test_a_rule_from_a_template_and_a_written_one_with_a_field_error(world):
    admin = _client(world.admin)
    made = admin.post("/crm/settings/automation/from-template", {"template": "offer_follow_up"})
    assert made.status_code == 302 and Rule.objects.get().trigger == "deal.stage_entered"
    refused = admin.post("/crm/settings/automation", {
        "name": "<b>Bad</b>", "trigger": "deal.created", "c0_op": "eq", "a0_type": "create_task",
        "a0_text": "", "a0_due": "2"})  # fmt: skip
    assert refused.status_code == 400
    assert (
        "Task title, message, tag or e-mail text: This field cannot be empty."
        in refused.content.decode()
    )
    assert Rule.objects.count() == 1
    saved = admin.post("/crm/settings/automation", {
        "name": "<b>Hi</b>", "trigger": "deal.created", "c0_field": "amount", "c0_op": "gt",
        "c0_value": "1000", "a0_type": "notify", "a0_text": "Big deal: {name}"})  # fmt: skip
    assert saved.status_code == 302
    page = admin.get("/crm/settings/automation").content.decode()
    assert "&lt;b&gt;Hi&lt;/b&gt;" in page and "<b>Hi</b>" not in page


def test_a_webhook_url_must_be_http_and_the_page_says_so_at_the_field(world):
    admin = _client(world.admin)
    refused = admin.post(
        "/crm/settings/webhooks", {"url": "ftp://x.example", "event_types": ["deal.created"]}
    )
    assert refused.status_code == 400
    assert "URL: Enter an http:// or https:// address." in refused.content.decode()
    assert not Webhook.objects.exists()
    saved = admin.post("/crm/settings/webhooks", {"url": "https://hooks.example/crm",
                                                  "event_types": ["deal.created"]})  # fmt: skip
    hook = Webhook.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/crm/settings/webhooks/{hook.pk}"
    page = admin.get(saved["Location"]).content.decode()
    assert hook.secret in page and "Nothing sent yet." in page
    assert _client(world.manager).get(saved["Location"]).status_code == 403


def test_an_admin_writes_a_rule_in_rows_and_edits_it_and_errors_name_the_row(world):
    from fieldcrm.accounts.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(key="birthday", label="Birthday", kind="date")
    admin = _client(world.admin)
    page = admin.get("/crm/settings/automation").content.decode()
    assert 'id="rule_c2_field"' in page and 'id="rule_a2_type"' in page
    assert '<option value="birthday">Birthday</option>' in page and "<script>" not in page
    body = {
        "name": "Neglected",
        "trigger": "account.past_cadence",
        "days": "30",
        "since": "visit_due",
        "enabled": "on",
        "c0_field": "status",
        "c0_op": "eq",
        "c0_value": "customer",
        "c1_field": "tier",
        "c1_op": "ne",
        "c1_value": "c",
        "a0_type": "create_task",
        "a0_text": "Visit {name}",
        "a0_due": "1",
        "a0_who": "owner",
        "a1_type": "notify",
        "a1_text": "{name} is neglected",
        "a1_who": "role:manager",
        "a2_type": "add_tag",
        "a2_text": "neglected",
    }
    # A bad row: the error is at that row's field, nothing is saved.
    refused = admin.post("/crm/settings/automation", {**body, "a1_text": ""})
    assert refused.status_code == 400 and not Rule.objects.exists()
    assert 'id="rule_a1_text-error"' in refused.content.decode()
    refused = admin.post("/crm/settings/automation", {**body, "days": "400"})
    assert refused.status_code == 400 and 'id="rule_days-error"' in refused.content.decode()
    refused = admin.post(
        "/crm/settings/automation", {**body, "trigger": "account.anniversary", "date_field": ""}
    )
    assert refused.status_code == 400 and 'id="rule_date_field-error"' in refused.content.decode()
    assert not Rule.objects.exists()
    assert admin.post("/crm/settings/automation", body).status_code == 302
    rule = Rule.objects.get()
    assert (rule.trigger, rule.trigger_params) == (
        "account.past_cadence",
        {"days": 30, "since": "visit_due"},
    )
    assert rule.conditions == [
        {"field": "status", "op": "eq", "value": "customer"},
        {"field": "tier", "op": "ne", "value": "c"},
    ]
    assert [a["type"] for a in rule.actions] == ["create_task", "notify", "add_tag"]
    assert rule.actions[1]["to"] == ["role:manager"]
    # The edit page shows the rule in the same rows; saving it changes it in place.
    edit = admin.get(f"/crm/settings/automation/{rule.pk}/edit").content.decode()
    assert 'value="Visit {name}"' in edit and 'value="tier"' in edit
    changed = {**body, "days": "45", "c1_field": "", "a2_type": "",
               "a0_who": f"user:{world.rep2.pk}",
               "name": "<img src=x onerror=alert(1)>"}  # fmt: skip
    assert admin.post(f"/crm/settings/automation/{rule.pk}/edit", changed).status_code == 302
    rule.refresh_from_db()
    assert rule.trigger_params["days"] == 45 and len(rule.conditions) == 1
    assert len(rule.actions) == 2 and rule.actions[0]["assignee"] == world.rep2.pk
    for path in ("/crm/settings/automation", f"/crm/settings/automation/{rule.pk}/edit"):
        shown = admin.get(path).content.decode()
        assert "&lt;img src=x onerror=alert(1)&gt;" in shown and "<img src=x" not in shown
    # A bad edit leaves the rule as it was.
    bad = admin.post(f"/crm/settings/automation/{rule.pk}/edit", {**changed, "a0_text": ""})
    assert bad.status_code == 400
    rule.refresh_from_db()
    assert rule.actions[0]["title"] == "Visit {name}"
    for persona in ("manager", "rep1", "planner"):
        client = _client(getattr(world, persona))
        assert client.get(f"/crm/settings/automation/{rule.pk}/edit").status_code == 403
        assert client.post(f"/crm/settings/automation/{rule.pk}/edit", body).status_code == 403
    assert admin.get("/crm/settings/automation/99999/edit").status_code == 404
