"""E-mail to contacts from a record: queued with its timeline entry, sent once by the worker
to a real SMTP server (aiosmtpd) with the unsubscribe headers, refused (422 naming the field,
nothing saved) on bad input, outside the sender's scope and to a suppressed address."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from fieldcrm.accounts.models import Activity, Contact
from fieldcrm.emails.models import Email, Suppression
from fieldcrm.notifications import clock
from fieldcrm.notifications.delivery import MAX_ATTEMPTS, deliveries_send
from fieldcrm.notifications.models import Delivery
from tests.factories import make_account

# The worker's clock moved past the rows' real creation time (their not_before).
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=1)


def send(client, account, contacts, subject="Your quote", body="Hello Anna,\nhere it is."):
    return client.post("emails", {
        "record_type": "account", "record_id": str(account.pk),
        "contact_ids": [str(c.pk) for c in contacts], "subject": subject, "body": body,
    })  # fmt: skip


def unsubscribe_link(message) -> str:
    return re.search(r"<(http://[^>]+)>", message["List-Unsubscribe"]).group(1)


def test_a_manager_mails_a_contact_once_with_the_unsubscribe_headers(inbox, world, as_user, shop):
    account, anna, _ = shop
    world.manager.email = "manager@fieldcrm.example"
    world.manager.save()
    response = send(as_user("manager"), account, [anna])
    assert response.status_code == 201, response.content
    (row,) = response.json()
    assert row["status"] == "queued" and row["to_address"] == "Anna@Shop.example"
    activity = Activity.objects.get(kind="email")
    assert activity.details["status"] == "queued" and activity.contact == anna
    assert deliveries_send() == {"sent": 1}
    assert deliveries_send() == {}
    (message,) = inbox.messages
    email = Email.objects.get()
    assert message["Message-ID"] == email.message_id == row["message_id"]
    assert message["To"] == "Anna Nguyen <Anna@Shop.example>"
    assert message["Subject"] == "Your quote"
    assert (
        "crm@localhost" in message["Reply-To"] and "manager@fieldcrm.example" in message["Reply-To"]
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe_link(message)
    text = message.get_content()
    assert "here it is." in text and link in text
    email.refresh_from_db()
    activity.refresh_from_db()
    assert email.status == activity.details["status"] == "sent"


def test_one_email_per_chosen_contact_each_on_the_timeline(inbox, world, as_user, shop):
    account, anna, bob = shop
    assert send(as_user("rep1"), account, [anna, bob]).status_code == 201
    assert deliveries_send() == {"sent": 2}
    assert sorted(m["To"] for m in inbox.messages) == ["Anna Nguyen <Anna@Shop.example>",
                                                        "Bob <bob@shop.example>"]  # fmt: skip
    assert Activity.objects.filter(kind="email", details__status="sent").count() == 2


def test_a_rep_mails_only_contacts_of_their_accounts(inbox, world, as_user, shop):
    account, anna, _ = shop
    response = send(as_user("rep2"), account, [anna])
    assert response.status_code == 404
    other = make_account("Elsewhere", territory=world.territory_b)
    stranger = Contact.objects.create(account=other, name="Zed", email="zed@else.example")
    response = send(as_user("rep1"), account, [stranger])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "contact_ids"
    assert not Email.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("Quote\r\nBcc: evil@attacker.example", "Hi", "subject"),
        ("Quote\nX-Injected: 1", "Hi", "subject"),
        ("", "Hi", "subject"),
        ("Quote", "   ", "body"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    world, as_user, shop, subject, body, field
):
    account, anna, _ = shop
    response = send(as_user("manager"), account, [anna], subject=subject, body=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field
    assert not Email.objects.exists() and not Delivery.objects.exists()
    assert not Activity.objects.filter(kind="email").exists()


def test_a_contact_name_with_a_line_break_cannot_add_a_header(inbox, world, as_user, shop):
    account, anna, _ = shop
    anna.name = "Anna\r\nBcc: evil@attacker.example"
    anna.save()
    assert send(as_user("manager"), account, [anna]).status_code == 201
    deliveries_send()
    (message,) = inbox.messages
    assert message["Bcc"] is None
    assert message["To"] == '"Anna Bcc: evil@attacker.example" <Anna@Shop.example>'
    assert [a.addr_spec for a in message["To"].addresses] == ["Anna@Shop.example"]


def test_the_unsubscribe_link_asks_then_suppresses_and_the_next_send_is_refused(
    inbox, world, as_user, shop
):
    account, anna, _ = shop
    send(as_user("manager"), account, [anna])
    deliveries_send()
    link = unsubscribe_link(inbox.messages[0])
    path = link.removeprefix("http://127.0.0.1:8000")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    assert page.status_code == 200 and b"anna@shop.example" in page.content
    assert not Suppression.objects.exists()  # a link scanner's GET unsubscribes nobody
    # RFC 8058 one-click: the mail client posts this body, no cookie, no CSRF token.
    done = browser.post(path, "List-Unsubscribe=One-Click",
                        content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert done.status_code == 200
    row = Suppression.objects.get()
    assert (row.address, row.reason) == ("anna@shop.example", "unsubscribed")
    response = send(as_user("manager"), account, [anna])
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert detail["loc"][-1] == "contact_ids" and "suppression list" in detail["msg"]
    assert Email.objects.count() == 1
    assert Client().get(path[:-3] + "xyz").status_code == 404  # a forged token


def test_an_address_suppressed_after_queueing_is_skipped_by_the_worker(inbox, world, as_user, shop):
    account, anna, _ = shop
    send(as_user("manager"), account, [anna])
    Suppression.objects.create(address="anna@shop.example", reason="bounced")
    assert deliveries_send() == {"skipped": 1}
    assert inbox.messages == []
    email = Email.objects.select_related("delivery", "activity").get()
    assert email.status == "suppressed" and email.activity.details["status"] == "suppressed"
    assert email.delivery.status == "skipped" and email.delivery.last_error == "Hard bounce"


def test_a_refused_send_is_retried_with_the_same_message_id_then_fails_for_good(
    inbox, world, as_user, shop
):
    account, anna, _ = shop
    with clock.frozen(T0):
        send(as_user("manager"), account, [anna])
        inbox.refuse = 1
        assert deliveries_send() == {"pending": 1}
    with clock.frozen(T0 + dt.timedelta(minutes=2)):
        assert deliveries_send() == {"sent": 1}
    assert len(inbox.messages) == 1
    # A second e-mail the server refuses every time: after the last attempt it shows failed.
    with clock.frozen(T0):
        send(as_user("manager"), account, [anna], subject="Again")
    email = Email.objects.get(subject="Again")
    Delivery.objects.filter(pk=email.delivery_id).update(attempts=MAX_ATTEMPTS - 1)
    inbox.refuse = 1
    with clock.frozen(T0 + dt.timedelta(minutes=1)):
        assert deliveries_send() == {"failed": 1}
    email.refresh_from_db()
    assert email.status == "failed"
    assert Activity.objects.get(pk=email.activity_id).details["status"] == "failed"


def test_managers_keep_the_suppression_list_and_lift_an_entry(inbox, world, as_user, shop):
    account, anna, _ = shop
    manager, rep = as_user("manager"), as_user("rep1")
    assert rep.post("email-suppressions", {"address": "x@y.example"}).status_code == 403
    bad = manager.post("email-suppressions", {"address": "not an address"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "address"
    made = manager.post("email-suppressions", {"address": " Anna@Shop.example "})
    assert made.status_code == 201 and made.json()["reason"] == "manual"
    assert [r["address"] for r in manager.get("email-suppressions").json()["items"]] == [
        "anna@shop.example"
    ]
    assert rep.get("email-suppressions").json()["items"] == []
    assert send(manager, account, [anna]).status_code == 422
    assert rep.delete(f"email-suppressions/{made.json()['id']}").status_code == 404
    assert manager.delete(f"email-suppressions/{made.json()['id']}").status_code == 200
    assert send(manager, account, [anna]).status_code == 201


def test_a_users_suppressed_address_skips_their_notification_emails(inbox, world):
    from tests.fieldcrm.notifications.test_delivery import wants_email
    from tests.fieldcrm.notifications.test_notifications_api import notify

    wants_email(world.rep1)
    Suppression.objects.create(address="rep1@example.com", reason="bounced")
    with clock.frozen(T0):
        notify(world.rep1)
        assert deliveries_send() == {"skipped": 1}
    assert inbox.messages == []
    assert Delivery.objects.get().last_error == "Hard bounce"
