"""Files on e-mails (issue 18): a quote's PDF and the account's files sent with an e-mail (the
real SMTP server receives them attached; the timeline names them); a received mail's
attachments kept on the matched account under the upload rules; an unmatched mail keeps its
bytes until a manager makes a lead of its sender, and then loses no attachment."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.attachments.models import Attachment
from fieldcrm.attachments.services import attachment_create
from fieldcrm.emails.inbound import email_receive
from fieldcrm.emails.models import Email
from fieldcrm.notifications.delivery import deliveries_send
from fieldcrm.notifications.models import Delivery
from tests.factories import make_account
from tests.fieldcrm.documents.test_documents import pdf_text, quote  # noqa: F401 - a fixture

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list[str]:
    return sorted(p.name for p in media.rglob("*") if p.is_file())


def received(*, sender="anna@shop.example", files=(), message_id="<in-1@shop.example>") -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = f"Anna Nguyễn <{sender}>", "crm@localhost"
    message["Subject"], message["Message-ID"] = "Our order form", message_id
    message.set_content("Please find the form attached.")
    for name, content, kind in files:
        main, sub = kind.split("/")
        message.add_attachment(content, maintype=main, subtype=sub, filename=name)
    return bytes(message)


def test_a_quote_goes_as_a_persian_pdf_with_a_file_of_its_account(
    inbox,
    world,
    as_user,
    quote,  # noqa: F811 - the fixture imported above
):
    anna = Contact.objects.create(account=quote.account, name="Anna", email="anna@shop.example")
    price_sheet = attachment_create(
        actor=world.manager, record_type="account", record_id=quote.account.pk,
        upload=SimpleUploadedFile("prices.pdf", PDF),
    )  # fmt: skip
    response = as_user("manager").post("emails", {
        "record_type": "order", "record_id": str(quote.pk), "contact_ids": [str(anna.pk)],
        "subject": "پیش‌فاکتور", "body": "سلام،\nپیش‌فاکتور پیوست است.",
        "attachment_ids": [price_sheet.pk], "pdf_language": "fa",
    })  # fmt: skip
    assert response.status_code == 201, response.content
    (sent,) = response.json()
    document = Attachment.objects.get(order=quote)  # kept on the quote: what was sent
    assert document.name == f"{quote.number}-fa.pdf" and document.uploaded_by == world.manager
    assert sorted(sent["attachment_ids"]) == sorted([price_sheet.pk, document.pk])
    activity = Activity.objects.get(kind="email")
    assert {f["name"] for f in activity.details["files"]} == {"prices.pdf", document.name}

    assert deliveries_send() == {"sent": 1}
    (raw,) = inbox.messages
    message = message_from_bytes(raw.as_bytes(), policy=policy.default)
    parts = {p.get_filename(): p for p in message.iter_attachments()}
    assert set(parts) == {"prices.pdf", document.name}
    assert parts[document.name].get_content_type() == "application/pdf"
    assert "مشتری" in pdf_text(parts[document.name].get_content())


def test_files_are_refused_naming_the_field_and_nothing_is_saved(
    inbox,
    world,
    as_user,
    shop,
    media,
    quote,  # noqa: F811
):
    account, anna, _ = shop
    other = make_account("Elsewhere", territory=world.territory_a)
    foreign = attachment_create(
        actor=world.manager, record_type="account", record_id=other.pk,
        upload=SimpleUploadedFile("other.pdf", PDF),
    )  # fmt: skip
    before = stored_files(media)

    def send(record_type, record_id, **extra):
        return as_user("manager").post("emails", {
            "record_type": record_type, "record_id": str(record_id),
            "contact_ids": [str(anna.pk)] if record_type == "account" else None,
            "subject": "Files", "body": "Here.", **extra,
        })  # fmt: skip

    cases = [
        (send("account", account.pk, attachment_ids=[foreign.pk]), "attachment_ids"),
        (send("account", account.pk, attachment_ids=[10**30]), "attachment_ids"),
        (send("account", account.pk, attachment_ids=list(range(1, 13))), "attachment_ids"),
        (send("account", account.pk, pdf_language="fa"), "pdf_language"),
        (send("account", account.pk, pdf_language="de"), "pdf_language"),
        # The quote's account has no contact with an address: the PDF is never rendered.
        (send("order", quote.pk, pdf_language="fa"), "contact_ids"),
    ]
    for response, field in cases:
        assert response.status_code == 422, response.content
        assert response.json()["detail"][0]["loc"][-1] == field
    assert not Email.objects.exists() and not Delivery.objects.exists()
    assert Attachment.objects.count() == 1 and stored_files(media) == before


def test_a_received_mails_files_are_kept_on_its_account_under_the_upload_rules(world, shop, media):
    account, anna, _ = shop
    raw = received(files=[
        ("order-form.pdf", PDF, "application/pdf"),
        ("setup.exe", b"MZ\x90\x00binary", "application/octet-stream"),
        ("fake.pdf", b"MZ not a pdf", "application/pdf"),
    ])  # fmt: skip
    assert email_receive(raw=raw).outcome == "logged"
    (kept,) = Attachment.objects.all()
    assert (kept.account, kept.record_type, kept.name) == (account, "account", "order-form.pdf")
    assert kept.file.read() == PDF
    row = Email.objects.get()
    assert list(row.attachments.all()) == [kept] and not row.raw
    activity = Activity.objects.get(kind="email")
    assert activity.details["files"] == [{"id": kept.pk, "name": "order-form.pdf"}]
    assert [s["name"] for s in activity.details["skipped"]] == ["setup.exe", "fake.pdf"]
    assert email_receive(raw=raw).outcome == "duplicate"  # the same mail again: no second copy
    assert Attachment.objects.count() == 1 and len(stored_files(media)) == 1


def test_an_unmatched_mail_becomes_a_lead_with_its_files(
    world, as_user, media, django_capture_on_commit_callbacks
):
    raw = received(sender="newshop@example.vn", files=[("menu.pdf", PDF, "application/pdf")])
    assert email_receive(raw=raw).outcome == "unmatched"
    row = Email.objects.get()
    assert row.raw and not Attachment.objects.exists()

    assert as_user("rep1").post(f"emails/{row.pk}/lead").status_code == 403  # managers only
    with django_capture_on_commit_callbacks(execute=True):  # the raw mail goes at commit
        response = as_user("manager").post(f"emails/{row.pk}/lead")
    assert response.status_code == 201, response.content
    lead = Account.objects.get(pk=response.json()["account_id"])
    assert (lead.name, lead.status, lead.email, lead.owner) == (
        "Anna Nguyễn",
        "lead",
        "newshop@example.vn",
        world.manager,
    )
    (contact,) = lead.contacts.all()
    assert contact.email == "newshop@example.vn"
    (kept,) = Attachment.objects.filter(account=lead)
    assert kept.name == "menu.pdf" and kept.file.read() == PDF
    row.refresh_from_db()
    assert (row.account, row.contact, row.status, row.raw.name) == (lead, contact, "received", "")
    activity = Activity.objects.get(account=lead, kind="email")
    assert activity.details["files"] == [{"id": kept.pk, "name": "menu.pdf"}]
    assert stored_files(media) == [kept.file.name.rsplit("/", 1)[-1]]  # the raw mail is gone

    again = as_user("manager").post(f"emails/{row.pk}/lead")
    assert again.status_code == 422 and again.json()["detail"][0]["loc"][-1] == "email_id"
    assert Account.objects.filter(email="newshop@example.vn").count() == 1
