"""Writes: send an e-mail to contacts from a record, and keep the suppression list."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import get_scoped, require_role, scoped
from fieldcrm.accounts.models import Account, Activity, ActivityKind, Contact
from fieldcrm.attachments.models import Attachment
from fieldcrm.attachments.services import attachment_store, files_kept_only_if_committed
from fieldcrm.core.errors import DomainError
from fieldcrm.deals.models import Deal
from fieldcrm.documents.selectors import order_document
from fieldcrm.emails.models import Email, EmailDirection, EmailStatus, Suppression
from fieldcrm.emails.sending import CHANNEL, fold, suppression_reason, unsubscribe_read
from fieldcrm.notifications.models import Delivery, NotificationSettings
from fieldcrm.orders.models import Order
from fieldcrm.users.models import User

MAX_BODY = 100_000
MAX_RECIPIENTS = 20
MAX_FILES = 10


def _record(actor: User, record_type: str, record_id: object) -> tuple[Account, Any, Any]:
    """(account, contact, deal) of the record an e-mail is sent from; the caller must be
    allowed to change its account (404 outside their scope, 403 when they only read it). An
    order or quote is sent from as its deal (if any) is."""
    if record_type == "account":
        return get_scoped(Account, actor, record_id, write=True), None, None
    if record_type == "contact":
        contact = get_scoped(Contact, actor, record_id)
        return get_scoped(Account, actor, contact.account_id, write=True), contact, None
    if record_type == "deal":
        deal = get_scoped(Deal, actor, record_id, write=True)
        return get_scoped(Account, actor, deal.account_id, write=True), None, deal
    if record_type == "order":
        order = get_scoped(Order, actor, record_id)
        return get_scoped(Account, actor, order.account_id, write=True), None, order.deal
    raise DomainError(
        "record_type", _("Send e-mails from an account, a contact, a deal or an order.")
    )


def _files(account: Account, actor: User, attachment_ids: list[Any] | None) -> list[Attachment]:
    """The account's files chosen to go with the e-mail (any of its records' files the
    caller may read), within the total size an e-mail may carry."""
    ids = list(dict.fromkeys(attachment_ids or []))
    if len(ids) > MAX_FILES:
        raise DomainError("attachment_ids", _("Attach at most %(n)s files.") % {"n": MAX_FILES})
    try:
        found = {r.pk: r for r in scoped(Attachment, actor).filter(account=account, pk__in=ids)}
    except (ValidationError, ValueError, TypeError, OverflowError):
        found = {}
    if len(found) < len(ids):
        raise DomainError("attachment_ids", _("No such file on this account."))
    rows = [found[i] for i in ids]
    limit = settings.FIELDCRM_EMAIL_ATTACHMENTS_MAX_MB * 1024 * 1024
    if sum(r.size for r in rows) > limit:
        raise DomainError("attachment_ids", _(
            "The files come to more than %(mb)s MB, more than an e-mail should carry."
        ) % {"mb": f"{settings.FIELDCRM_EMAIL_ATTACHMENTS_MAX_MB:g}"})  # fmt: skip
    return rows


def _document(actor: User, record_type: str, record_id: object, language: str | None) -> Any:
    """The quote's or order's PDF in ``language`` to send with it (None when not asked for)."""
    if not language:
        return None
    if record_type != "order":
        raise DomainError("pdf_language", _("Only a quote or an order is sent as a PDF."))
    if language not in dict(settings.LANGUAGES):
        raise DomainError("pdf_language", _("Choose one of the languages offered."))
    try:
        return order_document(actor=actor, order_id=record_id, language=language)
    except DomainError as exc:  # its template passed a limit (documents.limits)
        if exc.field != "template":
            raise
        raise DomainError("pdf_language", exc.message) from None


def _checked_text(subject: str, body: str) -> tuple[str, str]:
    subject = (subject or "").strip()
    if not subject:
        raise DomainError("subject", _("Write a subject."))
    # A line break in a subject is how a header is smuggled in: refused, not repaired.
    if any(c in subject for c in "\r\n\x00") or len(subject) > 200:
        raise DomainError("subject", _("The subject must be one line of at most 200 characters."))
    if not (body or "").strip():
        raise DomainError("body", _("Write the message."))
    if len(body) > MAX_BODY or "\x00" in body:
        raise DomainError("body", _("The message is too long."))
    return subject, body


def _recipients(account: Account, contact: Any, contact_ids: list[Any] | None) -> list[Contact]:
    ids = list(contact_ids or ([] if contact is None else [contact.pk]))
    if not ids:
        raise DomainError("contact_ids", _("Choose at least one contact to write to."))
    if len(ids) > MAX_RECIPIENTS:
        raise DomainError("contact_ids", _("Write to at most 20 contacts at once."))
    try:
        found = {str(c.pk): c for c in Contact.objects.filter(account=account, pk__in=ids)}
    except (ValidationError, ValueError):
        found = {}
    chosen = [found.get(str(i)) for i in dict.fromkeys(str(i) for i in ids)]
    if None in chosen:
        raise DomainError("contact_ids", _("No such contact at this account."))
    for c in chosen:
        assert c is not None
        if not c.email:
            message = _("%(name)s has no e-mail address.") % {"name": c.name}
            raise DomainError("contact_ids", message)
        reason = suppression_reason(c.email)
        if reason:
            raise DomainError("contact_ids", _(
                "%(address)s is on the suppression list (%(reason)s): nothing was sent."
            ) % {"address": c.email, "reason": reason})  # fmt: skip
    return [c for c in chosen if c is not None]


def email_send(
    *, actor: User, record_type: str, record_id: object, contact_ids: list[Any] | None,
    subject: str, body: str, attachment_ids: list[Any] | None = None,
    pdf_language: str | None = None,
) -> list[Email]:  # fmt: skip
    """Queue one e-mail per chosen contact of the record's account, each on the timeline as an
    outgoing e-mail (queued → sent or failed) and sent once by the worker. All or nothing: one
    refused recipient (no address, suppressed, not of this account) sends none.

    ``attachment_ids``: files of the account to send with it. ``pdf_language``: from an order
    or quote, its PDF in that language, rendered now (outside the transaction: it takes a
    second or two) and kept on the order, so the timeline shows what was sent."""
    account, contact, deal = _record(actor, record_type, record_id)
    subject, body = _checked_text(subject, body)
    recipients = _recipients(account, contact, contact_ids)
    files = _files(account, actor, attachment_ids)
    document = _document(actor, record_type, record_id, pdf_language)
    with files_kept_only_if_committed() as stored, transaction.atomic():
        if document is not None:
            order = get_scoped(Order, actor, record_id)
            upload = SimpleUploadedFile(document.filename, document.content)
            row = attachment_store(record_type="order", record=order, upload=upload,
                                   uploaded_by=actor)  # fmt: skip
            stored.append(row)
            files.append(row)
        return _queue(actor, account, deal, recipients, subject, body, files)


def _queue(
    actor: User, account: Account, deal: Any, recipients: list[Contact], subject: str,
    body: str, files: list[Attachment],
) -> list[Email]:  # fmt: skip
    language = (
        NotificationSettings.objects.filter(user=actor).values_list("language", flat=True).first()
        or settings.LANGUAGE_CODE
    )
    sent = []
    for to in recipients:
        email_id = uuid.uuid4()
        delivery = Delivery.objects.create(channel=CHANNEL, key=f"mail.{email_id.hex}")
        activity = Activity(
            account=account, actor=actor, kind=ActivityKind.EMAIL, occurred_at=timezone.now(),
            subject=subject, body=body, contact=to, deal=deal,
            details={"email": str(email_id), "direction": EmailDirection.OUTGOING,
                     "status": EmailStatus.QUEUED, "to": to.email,
                     **({"files": [{"id": f.pk, "name": f.name} for f in files]} if files else {})},
        )  # fmt: skip
        activity.full_clean()
        activity.save()
        email = Email(
            id=email_id, direction=EmailDirection.OUTGOING, status=EmailStatus.QUEUED,
            account=account, contact=to, deal=deal, activity=activity, delivery=delivery,
            message_id=delivery.message_id, from_address=actor.email or "",
            to_address=to.email, subject=subject, body=body, language=language,
            created_by=actor,
        )  # fmt: skip
        email.full_clean(exclude=["from_address"])
        email.save()
        email.attachments.set(files)
        sent.append(email)
    return sent


def suppression_add(*, address: str, reason: str, detail: str = "") -> Suppression:
    """Suppress ``address`` (again, if it was lifted); a standing entry keeps its reason."""
    address = fold(address)
    row, created = Suppression.objects.get_or_create(
        address=address, defaults={"reason": reason, "detail": detail[:300]}
    )
    if not created and row.lifted_at is not None:
        row.reason, row.detail, row.lifted_at, row.lifted_by = reason, detail[:300], None, None
        row.created_at = timezone.now()
        row.save()
    return row


@transaction.atomic
def suppression_create(*, actor: User, address: str, detail: str = "") -> Suppression:
    """A manager's opt-out by hand (the contact asked on the phone, say)."""
    require_role(actor, User.Role.MANAGER)
    try:
        validate_email(fold(address))
    except ValidationError:
        raise DomainError("address", _("Enter a valid e-mail address.")) from None
    return suppression_add(address=address, reason=Suppression.Reason.MANUAL, detail=detail)


@transaction.atomic
def suppression_lift(*, actor: User, suppression_id: int) -> Suppression:
    """Write to the address again (the contact asked to be written to)."""
    row = get_scoped(Suppression, actor, suppression_id, write=True)
    if row.lifted_at is None:
        row.lifted_at, row.lifted_by = timezone.now(), actor
        row.save(update_fields=["lifted_at", "lifted_by"])
    return row


def unsubscribe_address(*, token: str) -> str:
    """The address an unsubscribe link is for (DomainError when the link is forged)."""
    try:
        return unsubscribe_read(token)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise DomainError("token", _("This unsubscribe link is not valid.")) from None


@transaction.atomic
def unsubscribe(*, token: str) -> str:
    """The link in every e-mail to a contact: its address goes on the list. Returns it."""
    address = unsubscribe_address(token=token)
    suppression_add(address=address, reason=Suppression.Reason.UNSUBSCRIBED)
    return address
