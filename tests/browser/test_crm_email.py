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
from tests.fieldcrm.documents.test_documents import pdf_text, quote  # noqa: F401 - a fixture
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


def test_a_manager_emails_a_persian_quote_as_a_pdf_and_files_a_strangers_mail_as_a_lead(
    laptops,
    world,
    settings,
    live_server,
    tmp_path,
    quote,  # noqa: F811 - the fixture
):
    settings.MEDIA_ROOT = tmp_path / "media"
    Contact.objects.create(account=quote.account, name="Anna", email="anna@shop.example")
    with smtp_server() as inbox, dropbox_server() as dropbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = inbox.host, inbox.port, 5
        page = laptops("manager", f"/crm/orders/{quote.pk}/")
        page.locator("#email-subject").fill("پیش‌فاکتور")
        page.locator("#email-body").fill("سلام،\nپیش‌فاکتور پیوست است.")
        page.locator("#email-pdf").select_option("fa")
        page.locator("#email-submit").click()
        page.get_by_text("E-mail queued to 1 contact(s).").wait_for()
        assert deliveries_send() == {"sent": 1}
        (message,) = inbox.messages
        (pdf,) = message.iter_attachments()
        assert pdf.get_filename() == f"{quote.number}-fa.pdf"
        assert "مشتری" in pdf_text(pdf.get_content())

        page.goto(f"{live_server.url}/crm/accounts/{quote.account.pk}/")
        sent = page.locator("#timeline-list li[data-kind=email] .email-files a")
        assert sent.inner_text() == f"{quote.number}-fa.pdf"
        download = page.request.get(live_server.url + sent.get_attribute("href"))
        assert download.ok and download.body().startswith(b"%PDF-")

        stranger = EmailMessage()
        stranger["From"], stranger["To"] = "Trần Văn Bình <binh@newshop.vn>", "crm@localhost"
        stranger["Subject"], stranger["Message-ID"] = "Xin báo giá", "<ask-1@newshop.vn>"
        stranger.set_content("Cho tôi xin bảng giá.")
        stranger.add_attachment(b"%PDF-1.4\n%%EOF\n", maintype="application", subtype="pdf",
                                filename="danh-sach.pdf")  # fmt: skip
        dropbox.deliver(bytes(stranger), sender="binh@newshop.vn")
        page.goto(f"{live_server.url}/crm/emails/review")
        page.get_by_role("button", name="Make a lead of this sender").click()
        page.get_by_text("Trần Văn Bình is a new lead.").wait_for()
        assert page.locator("#account-name").inner_text() == "Trần Văn Bình"
        entry = page.locator("#timeline-list li[data-kind=email]")
        assert "Xin báo giá" in entry.inner_text()
        assert entry.locator(".email-files a").inner_text() == "danh-sach.pdf"
