"""Messenger messages through the public webhook (on both databases), and replies from the
account's page sent once through the notifications worker, signed, to the reply URL."""

from __future__ import annotations

import json

import pytest

from fieldcrm.accounts.models import Account, Activity
from fieldcrm.automation.webhooks import sign
from fieldcrm.core.errors import DomainError
from fieldcrm.integrations.models import Integration, Message
from fieldcrm.integrations.replies import reply_send
from fieldcrm.notifications import clock
from fieldcrm.notifications.delivery import deliveries_send
from fieldcrm.notifications.models import Delivery, Notification
from tests.factories import make_account
from tests.fieldcrm.automation.test_webhooks import T0, receiver
from tests.fieldcrm.integrations.helpers import signed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def zalo(world):
    return Integration.objects.create(
        kind="messenger", name="Zalo OA", reply_url="http://127.0.0.1:9/none",
        default_owner=world.rep2,
    )  # fmt: skip


def message(**fields):
    return {"message_id": "m-1", "channel": "zalo", "sender_id": "+84 90 123 4567",
            "sender_name": "Chị Hoa", "text": "Cho em xin báo giá nhé", **fields}  # fmt: skip


def _saved():
    return (Account.objects.count(), Activity.objects.count(), Message.objects.count(),
            Notification.objects.count())  # fmt: skip


def test_a_message_from_a_known_number_lands_on_the_timeline_and_tells_the_owner(zalo, world):
    shop = make_account("Tạp hoá Hoa", phone="090 123 4567", owner=world.rep1)
    answer = signed_post(zalo, "messages", message())
    assert answer.status_code == 200, answer.content
    assert answer.json()["account_id"] == str(shop.pk) and not answer.json()["lead_created"]
    (entry,) = Activity.objects.filter(account=shop, kind="message")
    assert entry.body == "Cho em xin báo giá nhé" and entry.details["channel"] == "zalo"
    (told,) = Notification.objects.filter(recipient=world.rep1, kind="message_received")
    assert told.record_id == shop.pk


def test_an_unknown_sender_becomes_a_lead_with_the_text_as_its_first_activity(zalo, world):
    answer = signed_post(zalo, "messages", message())
    assert answer.json()["lead_created"]
    lead = Account.objects.get(pk=answer.json()["account_id"])
    assert (lead.status, lead.name, lead.phone) == ("lead", "Chị Hoa", "+84 90 123 4567")
    assert lead.owner == world.rep2 and lead.source == "messenger: Zalo OA"
    assert [a.body for a in lead.activities.all()] == ["Cho em xin báo giá nhé"]
    assert Notification.objects.get().recipient == world.rep2
    # The same sender again (a messenger id, not a number, works too) finds the lead.
    again = signed_post(zalo, "messages", message(message_id="m-2", text="Alo?"))
    assert again.json()["account_id"] == str(lead.pk) and not again.json()["lead_created"]


def test_a_sender_known_only_by_a_messenger_id_is_found_again(zalo):
    first = signed_post(zalo, "messages", message(sender_id="tg:99812", sender_name=""))
    lead = Account.objects.get(pk=first.json()["account_id"])
    assert (lead.name, lead.phone) == ("tg:99812", "")
    second = signed_post(zalo, "messages", message(message_id="m-2", sender_id="tg:99812"))
    assert second.json()["account_id"] == str(lead.pk)


def test_the_same_message_twice_changes_nothing(zalo):
    first = signed_post(zalo, "messages", message())
    before = _saved()
    again = signed_post(zalo, "messages", message())
    assert again.status_code == 200 and again.json() == first.json()
    assert _saved() == before
    reused = signed_post(zalo, "messages", message(text="something else"))
    assert reused.status_code == 422 and reused.json()["detail"][0]["loc"][-1] == "message_id"


@pytest.mark.parametrize(
    ("field", "value"),
    [("message_id", ""), ("channel", "zalo oa!"), ("channel", ""), ("sender_id", ""),
     ("sender_id", "x" * 101), ("sender_name", "x" * 201), ("text", ""),
     ("text", "x" * 10_001), ("sent_at", "today")],
)  # fmt: skip
def test_every_fields_bad_value_is_a_422_naming_it_with_nothing_saved(zalo, field, value):
    answer = signed_post(zalo, "messages", message(**{field: value}))
    assert answer.status_code == 422, answer.content
    assert answer.json()["detail"][0]["loc"][-1] == field
    assert _saved() == (0, 0, 0, 0)


def test_a_forged_message_is_refused(zalo):
    answer = signed_post(zalo, "messages", message(), secret="guess")
    assert answer.status_code == 401 and answer.json()["detail"][0]["loc"] == [
        "header",
        "signature",
    ]
    assert _saved() == (0, 0, 0, 0)


def test_a_reply_is_posted_once_signed_to_the_reply_url_and_logged(zalo, world):
    shop = make_account("Tạp hoá Hoa", phone="090 123 4567", owner=world.rep1)
    signed_post(zalo, "messages", message())
    with receiver(fail=1) as r, clock.frozen(T0):
        zalo.reply_url = r.url
        zalo.save()
        reply = reply_send(actor=world.rep1, account_id=shop.pk, text="Dạ, em gửi chị ạ")
        assert deliveries_send() == {"pending": 1}  # the receiver failed once: retried
        with clock.frozen(T0.replace(minute=5)):
            assert deliveries_send() == {"sent": 1}
            assert deliveries_send() == {}
    (headers, body), *_ = r.accepted
    assert len(r.requests) == 2 and r.requests[0][1] == body  # the same bytes each attempt
    assert headers["FieldCRM-Idempotency-Key"] == str(reply.pk)
    assert headers["FieldCRM-Signature"] == sign(
        zalo.secret, int(headers["FieldCRM-Timestamp"]), body
    )
    data = json.loads(body)["data"]
    assert (data["recipient_id"], data["text"], data["in_reply_to"]) == (
        "+84 90 123 4567",
        "Dạ, em gửi chị ạ",
        "m-1",
    )
    entries = Activity.objects.filter(account=shop, kind="message").order_by("occurred_at")
    assert sorted(e.details["direction"] for e in entries) == ["in", "out"]
    assert Delivery.objects.get(key=f"reply.{reply.pk}").status == "sent"


def test_a_reply_needs_text_and_a_conversation_and_write_access(zalo, world):
    shop = make_account("Tạp hoá Hoa", phone="090 123 4567", owner=world.rep1)
    with pytest.raises(DomainError) as refused:
        reply_send(actor=world.rep1, account_id=shop.pk, text="Hello")
    assert refused.value.field == "text"  # nothing to reply to yet
    signed_post(zalo, "messages", message())
    with pytest.raises(DomainError) as refused:
        reply_send(actor=world.rep1, account_id=shop.pk, text="   ")
    assert refused.value.field == "text"
    from fieldcrm.access import NotAllowed

    with pytest.raises(NotAllowed):
        reply_send(actor=world.planner, account_id=shop.pk, text="Hello")
    assert not Message.objects.filter(direction="out").exists()
