"""Received mail on the right timeline: a reply by its In-Reply-To (over real SMTP to the
project's receiver), a contact writing in by their address, a mail a user BCC'd by its
recipients; unmatched mail on the review list; each Message-ID logged once; a hard bounce
(a DSN) suppresses the address."""

from __future__ import annotations

from email.message import EmailMessage

from fieldcrm.accounts.models import Activity
from fieldcrm.emails.inbound import email_receive
from fieldcrm.emails.models import Email, Suppression
from fieldcrm.notifications.delivery import deliveries_send


def mail(
    *, sender="anna@shop.example", to="crm@localhost", subject="Re: Your quote",
    body="Thanks, we take it.", message_id="<r1@shop.example>", **headers,
) -> bytes:  # fmt: skip
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return bytes(message)


def test_a_reply_over_smtp_lands_on_the_timeline_of_the_mail_it_answers_once(
    inbox, dropbox, world, as_user, shop
):
    account, anna, _ = shop
    sent = as_user("manager").post("emails", {
        "record_type": "account", "record_id": str(account.pk),
        "contact_ids": [str(anna.pk)], "subject": "Your quote", "body": "Here it is.",
    }).json()[0]  # fmt: skip
    deliveries_send()
    # The reply comes from another address of hers: the In-Reply-To finds the record.
    reply = mail(sender="a.nguyen@home.example", In_Reply_To=sent["message_id"])
    dropbox.deliver(reply)
    dropbox.deliver(reply)  # the sending server retried: the same Message-ID, logged once
    (logged,) = Activity.objects.filter(kind="email", details__direction="in")
    assert (logged.account, logged.contact, logged.subject) == (account, anna, "Re: Your quote")
    assert logged.body.strip() == "Thanks, we take it." and logged.actor is None
    assert Email.objects.filter(direction="in").count() == 1


def test_a_contact_writing_in_is_matched_by_their_address(world, shop):
    account, _, bob = shop
    assert email_receive(raw=mail(sender="Bob <BOB@shop.example>")).outcome == "logged"
    activity = Activity.objects.get(kind="email")
    assert (activity.account, activity.contact) == (account, bob)


def test_a_mail_a_user_bccd_is_logged_as_theirs_on_the_recipients_timeline(world, shop):
    account, anna, _ = shop
    world.rep1.email = "rep1@fieldcrm.example"
    world.rep1.save()
    raw = mail(sender="rep1@fieldcrm.example", to="anna@shop.example", subject="Visit Monday",
               message_id="<bcc1@fieldcrm.example>")  # fmt: skip
    assert email_receive(raw=raw).outcome == "logged"
    activity = Activity.objects.get(kind="email")
    assert (activity.contact, activity.actor) == (anna, world.rep1)
    assert activity.details["direction"] == "out"


def test_unmatched_mail_waits_on_the_review_list_for_managers(world, as_user, shop):
    raw = mail(sender="stranger@nowhere.example", subject="Catalogue?", message_id="<u1@x>")
    assert email_receive(raw=raw).outcome == "unmatched"
    assert email_receive(raw=raw).outcome == "duplicate"
    assert not Activity.objects.filter(kind="email").exists()
    items = as_user("manager").get("emails/review").json()["items"]
    assert [(i["from_address"], i["subject"]) for i in items] == [
        ("stranger@nowhere.example", "Catalogue?")
    ]
    assert as_user("rep1").get("emails/review").json()["items"] == []
    page = as_user("manager").get("/crm/emails/review")
    assert page.status_code == 200 and b"Catalogue?" in page.content
    assert as_user("rep1").get("/crm/emails/review").status_code == 403


def test_a_received_subject_cannot_carry_a_line_break_onto_the_timeline(world, shop):
    raw = (
        b"From: anna@shop.example\r\nTo: crm@localhost\r\nMessage-ID: <h1@x>\r\n"
        b"Subject: =?utf-8?q?Hi=0D=0ABcc=3A_evil=40attacker.example?=\r\n\r\nHello\r\n"
    )
    email_receive(raw=raw)
    assert Activity.objects.get(kind="email").subject == "Hi Bcc: evil@attacker.example"


def dsn(recipient: str, status: str, returned_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example\r\nTo: crm@localhost\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {returned_id}\r\nSubject: Your quote\r\n"
        "--B--\r\n"
    ).encode()


def test_a_hard_bounce_suppresses_the_address_and_marks_the_mail_bounced(
    inbox, world, as_user, shop
):
    account, anna, _ = shop
    sent = as_user("manager").post("emails", {
        "record_type": "account", "record_id": str(account.pk),
        "contact_ids": [str(anna.pk)], "subject": "Your quote", "body": "Here it is.",
    }).json()[0]  # fmt: skip
    deliveries_send()
    # A temporary failure (4.x.x) suppresses nothing.
    assert email_receive(raw=dsn("Anna@Shop.example", "4.2.2", sent["message_id"])).outcome == (
        "bounce"
    )
    assert not Suppression.objects.exists()
    email_receive(raw=dsn("Anna@Shop.example", "5.1.1", sent["message_id"]))
    row = Suppression.objects.get()
    assert (row.address, row.reason) == ("anna@shop.example", "bounced")
    assert "5.1.1" in row.detail
    email = Email.objects.select_related("activity").get(pk=sent["id"])
    assert email.status == "bounced" and email.activity.details["status"] == "bounced"
