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
        "name": "<b>Bad</b>", "trigger": "deal.created", "op": "eq", "action": "create_task",
        "text": "", "due_in_days": "2"})  # fmt: skip
    assert refused.status_code == 400
    assert "Task title, message or tag: This field cannot be empty." in refused.content.decode()
    assert Rule.objects.count() == 1
    saved = admin.post("/crm/settings/automation", {
        "name": "<b>Hi</b>", "trigger": "deal.created", "field": "amount", "op": "gt",
        "value": "1000", "action": "notify", "text": "Big deal: {name}"})  # fmt: skip
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
