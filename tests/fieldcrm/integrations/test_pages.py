"""The integration pages through HTTP: the settings (admins only; the secret shown once, a
refused form saves nothing and names the field), the unknown callers (managers), the reply."""

from __future__ import annotations

import pytest
from django.test import Client

from fieldcrm.integrations.models import Call, Extension, Integration, Message
from tests.factories import make_account
from tests.fieldcrm.integrations.helpers import call_event, signed_post

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_makes_a_pbx_and_sees_its_secret_once(world):
    admin = _as(world.admin)
    index = admin.get("/crm/settings/").content.decode()
    assert "/crm/settings/integrations" in index
    made = admin.post("/crm/settings/integrations", {"kind": "pbx", "name": "Asterisk <b>"})
    assert made.status_code == 201
    integration = Integration.objects.get()
    page = made.content.decode()
    assert integration.secret in page and "Asterisk &lt;b&gt;" in page
    again = admin.get(f"/crm/settings/integrations/{integration.pk}").content.decode()
    assert integration.secret not in again
    old = integration.secret
    rotated = admin.post(f"/crm/settings/integrations/{integration.pk}", {"do": "rotate"})
    integration.refresh_from_db()
    assert integration.secret != old and integration.secret in rotated.content.decode()


def test_a_refused_form_names_the_field_and_saves_nothing(world):
    admin = _as(world.admin)
    answer = admin.post("/crm/settings/integrations", {"kind": "messenger", "name": ""})
    assert answer.status_code == 400 and "Nothing was saved." in answer.content.decode()
    ftp = {"kind": "messenger", "name": "Zalo", "reply_url": "ftp://files.example/x"}
    answer = admin.post("/crm/settings/integrations", ftp)
    assert answer.status_code == 400 and "Nothing was saved." in answer.content.decode()
    bad_url = {"kind": "messenger", "name": "Zalo", "reply_url": "javascript:x"}
    answer = admin.post("/crm/settings/integrations", bad_url)
    assert answer.status_code == 400 and "URL" in answer.content.decode()
    assert not Integration.objects.exists()


def test_extensions_map_to_users_and_a_taken_one_is_refused(world):
    admin = _as(world.admin)
    pbx = Integration.objects.create(kind="pbx", name="PBX")
    url = f"/crm/settings/integrations/{pbx.pk}"
    ok = admin.post(url, {"do": "add_extension", "number": "201", "user": world.rep1.pk})
    assert ok.status_code == 302
    taken = admin.post(url, {"do": "add_extension", "number": "201", "user": world.rep2.pk})
    assert taken.status_code == 400 and "taken already" in taken.content.decode()
    assert list(Extension.objects.values_list("user__username", flat=True)) == ["rep1"]


def test_only_admins_open_the_integration_settings(world):
    for persona in (world.manager, world.rep1, world.planner):
        assert _as(persona).get("/crm/settings/integrations").status_code == 403


def test_a_manager_makes_a_lead_of_an_unknown_caller(world):
    pbx = Integration.objects.create(kind="pbx", name="PBX")
    signed_post(pbx, "calls", call_event("ringing", caller="+84 28 3822 1234"))
    manager = _as(world.manager)
    page = manager.get("/crm/calls/unknown").content.decode()
    assert "+84 28 3822 1234" in page
    assert _as(world.rep1).get("/crm/calls/unknown").status_code == 403
    call = Call.objects.get()
    made = manager.post(f"/crm/calls/{call.pk}/lead")
    call.refresh_from_db()
    assert made.status_code == 302 and made["Location"] == f"/crm/accounts/{call.account_id}/"
    assert call.account.status == "lead"


def test_the_reply_card_shows_for_a_conversation_and_sends(world):
    zalo = Integration.objects.create(
        kind="messenger", name="Zalo", reply_url="http://127.0.0.1:9/"
    )
    shop = make_account("Shop", phone="+84 90 123 4567", owner=world.rep1)
    rep = _as(world.rep1)
    assert 'id="reply-form"' not in rep.get(f"/crm/accounts/{shop.pk}/").content.decode()
    body = {"message_id": "m1", "channel": "zalo", "sender_id": "+84 90 123 4567",
            "text": "<b>hi</b>"}  # fmt: skip
    signed_post(zalo, "messages", body)
    page = rep.get(f"/crm/accounts/{shop.pk}/").content.decode()
    assert 'id="reply-form"' in page and "&lt;b&gt;hi&lt;/b&gt;" in page
    sent = rep.post(f"/crm/accounts/{shop.pk}/reply", {"text": "Chào chị"})
    assert sent.status_code == 302
    assert Message.objects.filter(direction="out").get().text == "Chào chị"
    empty = rep.post(f"/crm/accounts/{shop.pk}/reply", {"text": ""}, follow=True)
    assert "Not sent" in empty.content.decode()
