"""E-mail from the workspace in Chromium (issues 17 and 18): a manager e-mails a contact from
the account page; the mail reaches a real SMTP server with the unsubscribe headers; the
timeline shows it sent; the contact's reply, delivered over SMTP to the project's receiver,
appears on the timeline; the contact unsubscribes through the link and the next send is
refused with the message at the field."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest

from fieldcrm.accounts.models import Contact
from fieldcrm.emails.models import Email, Suppression
from fieldcrm.notifications.delivery import deliveries_send
from tests.factories import make_account
from tests.fieldcrm.emails.conftest import dropbox_server
from tests.harness.smtp import smtp_server

pytestmark = pytest.mark.browser


def test_a_manager_emails_a_contact_who_replies_then_unsubscribes(
    laptops, world, settings, live_server
):
    account = make_account("Corner Shop", lng=1.02, lat=42.02)
    Contact.objects.create(account=account, name="Anna Nguyễn", email="anna@shop.example")
    settings.FIELDCRM_PUBLIC_URL = live_server.url
    with smtp_server() as inbox, dropbox_server() as dropbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = inbox.host, inbox.port, 5
        page = laptops("manager", f"/crm/accounts/{account.pk}/")
        page.locator("#email-subject").fill("Báo giá tháng 3")
        page.locator("#email-body").fill("Chào chị Anna,\ngửi chị báo giá.")
        page.locator("#email-submit").click()
        page.get_by_text("E-mail queued to 1 contact(s).").wait_for()
        entry = page.locator("#timeline-list li[data-kind=email]")
        assert entry.locator(".email-status").inner_text() == "Queued"

        assert deliveries_send() == {"sent": 1}  # the worker's round (run_worker runs it)
        (message,) = inbox.messages
        assert message["Subject"] == "Báo giá tháng 3"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = re.search(r"<(http://[^>]+)>", message["List-Unsubscribe"]).group(1)
        page.reload()
        assert entry.locator(".email-status").inner_text() == "Sent"

        reply = EmailMessage()
        reply["From"], reply["To"] = "anna@shop.example", "crm@localhost"
        reply["Subject"], reply["Message-ID"] = "Re: Báo giá tháng 3", "<reply-1@shop.example>"
        reply["In-Reply-To"] = message["Message-ID"]
        reply.set_content("Cảm ơn, chúng tôi đồng ý.")
        dropbox.deliver(bytes(reply))
        page.reload()
        received = page.locator("#timeline-list li[data-email-status=received]")
        assert "Re: Báo giá tháng 3" in received.inner_text()
        assert "Cảm ơn, chúng tôi đồng ý." in received.inner_text()

        contact_page = page.context.new_page()  # the contact, in their own mail client
        contact_page.goto(link)
        contact_page.locator("#unsubscribe-confirm").click()
        contact_page.locator("#unsubscribed").wait_for()
        assert Suppression.objects.get().address == "anna@shop.example"

        page.reload()
        page.locator("#email-form").get_by_text("unsubscribed").wait_for()
        page.locator("#email-form input[name=contact_ids]").check()
        page.locator("#email-subject").fill("Once more")
        page.locator("#email-body").fill("Hello again")
        page.locator("#email-submit").click()
        error = page.locator("#email-error")
        error.wait_for()
        assert error.inner_text().startswith("To: anna@shop.example is on the suppression list")
        assert Email.objects.filter(direction="out").count() == 1
        assert len(inbox.messages) == 1
