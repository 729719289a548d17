"""Received mail: replies to our e-mails, mails BCC'd or forwarded to the dropbox, and
delivery status notifications (bounces). Called by the receiver (``manage.py receive_mail``,
SMTP or LMTP on aiosmtpd, or one message on stdin from an MTA's pipe).

Matching, in order: a reply's In-Reply-To/References naming one of our Message-IDs (the
record it answered); else the sender's address as a contact's (a contact writing in); else,
when the sender is one of our users (they BCC'd the dropbox), the To/Cc addresses as
contacts'. Each account matched gets the mail on its timeline; nothing matched waits on the
review list. The same Message-ID received again is logged once."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from fieldcrm.access import get_scoped, require_page
from fieldcrm.accounts.models import Account, Activity, ActivityKind, Contact
from fieldcrm.accounts.services import account_create, account_event_data
from fieldcrm.attachments.models import Attachment
from fieldcrm.attachments.services import attachment_store, files_kept_only_if_committed
from fieldcrm.automation.models import EventType
from fieldcrm.automation.outbox import event_record
from fieldcrm.core.errors import DomainError
from fieldcrm.emails.models import Email, EmailDirection, EmailStatus, Suppression
from fieldcrm.emails.sending import email_status_set, fold, one_line
from fieldcrm.emails.services import MAX_BODY, suppression_add
from fieldcrm.users.models import User

MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
MAX_ACCOUNTS = 10  # one mail to many addresses of many accounts: each timeline, up to this


@dataclass
class Received:
    """What the receiver did with one message (for its log line and the tests)."""

    outcome: str  # logged | unmatched | duplicate | bounce
    email: Email | None = None


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: the bytes as well as we can
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_type() == "text/html":
        content = strip_tags(content)
    return str(content).replace("\x00", "")[:MAX_BODY]


def _addresses(message: EmailMessage, *headers: str) -> list[str]:
    values = [str(v) for h in headers for v in message.get_all(h, [])]
    return [fold(a) for _, a in getaddresses(values) if "@" in a]


def _occurred_at(message: EmailMessage):  # noqa: ANN202 - a datetime
    try:
        when = parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError, IndexError):
        return timezone.now()
    return when if when.tzinfo else timezone.now()


def _match(message: EmailMessage, sender: str) -> tuple[list[Contact], Email | None, User | None]:
    refs = MESSAGE_ID.findall(f"{message['In-Reply-To'] or ''} {message['References'] or ''}")
    answered = (
        Email.objects.filter(message_id__in=refs, direction=EmailDirection.OUTGOING)
        .select_related("contact", "account").order_by("-created_at").first()
        if refs else None
    )  # fmt: skip
    if answered is not None and answered.contact is not None:
        return [answered.contact], answered, None
    user = User.objects.filter(email__iexact=sender, is_active=True).first() if sender else None
    if user is not None:
        dropbox = fold(settings.FIELDCRM_INBOUND_ADDRESS)
        wanted = [a for a in _addresses(message, "To", "Cc") if a != dropbox]
    else:
        wanted = [sender] if sender else []
    contacts: dict[object, Contact] = {}
    for address in wanted:
        for c in Contact.objects.filter(email__iexact=address).select_related("account"):
            contacts.setdefault(c.account_id, c)
    return list(contacts.values())[:MAX_ACCOUNTS], answered, user


def _bounce(message: EmailMessage) -> Received | None:
    """A DSN (RFC 3464): each recipient it says failed for good (5.x.x) is suppressed, and our
    e-mail it returns is marked bounced. Transient ones (4.x.x, delayed) change nothing."""
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "")).lower() != "delivery-status":
        return None
    returned_ids: list[str] = []
    failed: list[tuple[str, str]] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in part.get_payload():
                if isinstance(block, str):
                    continue
                action = str(block.get("Action", "")).strip().lower()
                status = str(block.get("Status", "")).strip()
                recipient = str(block.get("Final-Recipient", "")).split(";")[-1]
                if action == "failed" and status.startswith("5") and "@" in recipient:
                    diagnostic = one_line(str(block.get("Diagnostic-Code", "")))
                    failed.append((fold(recipient), f"{status} {diagnostic}".strip()))
        elif kind in ("text/rfc822-headers", "message/rfc822"):
            returned_ids += MESSAGE_ID.findall(part.as_string())
    for address, detail in failed:
        suppression_add(address=address, reason=Suppression.Reason.BOUNCED, detail=detail)
    reasons = dict(failed)
    for sent in Email.objects.select_related("activity").filter(
        message_id__in=returned_ids, direction=EmailDirection.OUTGOING
    ):
        if fold(sent.to_address) in reasons:
            email_status_set(sent, EmailStatus.BOUNCED, reasons[fold(sent.to_address)])
    return Received(outcome="bounce")


def _attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each part the sender attached."""
    found = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True)
        if isinstance(content, bytes) and not part.is_multipart():
            found.append((one_line(part.get_filename() or "") or "attachment", content))
    return found


def _keep_files(
    message: EmailMessage, row: Email, user: User | None, stored: list[Attachment]
) -> list[dict[str, str]]:
    """Keep the mail's attachments on its account, under the upload rules (type, size); each
    refused one is named with why, on the timeline entry."""
    skipped = []
    for name, content in _attachments(message):
        try:
            kept = attachment_store(record_type="account", record=row.account,
                                    upload=SimpleUploadedFile(name, content),
                                    uploaded_by=user)  # fmt: skip
        except DomainError as exc:
            skipped.append({"name": name[:200], "why": exc.message})
            continue
        stored.append(kept)
    row.attachments.set(stored)
    return skipped


@transaction.atomic
def _log(message: EmailMessage, message_id: str, raw: bytes) -> Received:
    sender = (_addresses(message, "From") or [""])[0]
    contacts, answered, user = _match(message, sender)
    subject = one_line(str(message["Subject"] or ""))[:200]
    body, when = _text(message), _occurred_at(message)
    # A mail a user BCC'd is one they sent: outgoing on the timeline, with them as its author.
    direction = EmailDirection.OUTGOING if user is not None else EmailDirection.INCOMING
    row = Email(
        direction=direction, message_id=message_id,
        status=EmailStatus.RECEIVED if contacts else EmailStatus.UNMATCHED,
        in_reply_to=one_line(str(message["In-Reply-To"] or ""))[:255],
        references=one_line(str(message["References"] or ""))[:5000],
        from_address=sender[:254], to_address=(_addresses(message, "To") or [""])[0][:254],
        subject=subject, body=body, created_by=user, created_at=when,
        deal=answered.deal if answered else None,
    )  # fmt: skip
    if contacts:
        row.account, row.contact = contacts[0].account, contacts[0]
    row.save()
    with files_kept_only_if_committed() as stored:
        if not contacts:
            # Nobody's yet: the bytes wait with it, so filing it later loses no attachment.
            row.raw.save(f"emails/unmatched/{row.id.hex}.eml", ContentFile(raw), save=True)
            return Received(outcome="unmatched", email=row)
        # The files first, so each timeline entry is written once, naming them.
        files = _files_detail(message, row, user, stored)
        for contact in contacts:
            activity = Activity.objects.create(
                account=contact.account, actor=user, kind=ActivityKind.EMAIL, occurred_at=when,
                subject=subject, body=body, contact=contact, deal=row.deal,
                details={"email": str(row.id), "direction": direction,
                         "status": EmailStatus.RECEIVED, "from": sender, **files},
            )  # fmt: skip
            if row.activity is None:
                row.activity = activity
    row.save(update_fields=["activity"])
    return Received(outcome="logged", email=row)


def _files_detail(
    message: EmailMessage, row: Email, user: User | None, stored: list[Attachment]
) -> dict[str, Any]:
    """Keep the mail's files on its account; what its timeline entries say of them."""
    skipped = _keep_files(message, row, user, stored)
    if not stored and not skipped:
        return {}
    return {"files": [{"id": f.pk, "name": f.name} for f in stored], "skipped": skipped}


@transaction.atomic
def email_file_as_lead(*, actor: User, email_id: object) -> Account:
    """A received mail matched to no record, filed as a new lead: an account (status lead,
    owned by whoever filed it, so it is seen) with the sender as its contact, the mail on its
    timeline with its attachments, and the lead-received event automation rules act on."""
    require_page(actor, "mail")
    row = get_scoped(Email, actor, email_id)
    if row.account_id is not None or row.status != EmailStatus.UNMATCHED:
        raise DomainError("email_id", _("This mail is on a record already."))
    address = row.from_address
    if not address:
        raise DomainError("email_id", _("This mail names no sender to make a lead of."))
    raw = b""
    if row.raw:
        with row.raw.open("rb") as handle:
            raw = handle.read()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    names = [n for n, a in getaddresses([str(v) for v in message.get_all("From", [])]) if a]
    name = one_line(names[0] if names and names[0] else address)[:200]
    account = account_create(fields={
        "name": name, "status": Account.Status.LEAD, "email": address, "owner": actor,
        "source": _("E-mail"),
    }, actor=actor)  # fmt: skip
    contact = Contact(account=account, name=name, email=address, is_primary=True)
    contact.full_clean()
    contact.save()
    row.account, row.contact = account, contact
    row.status = EmailStatus.RECEIVED
    kept = row.raw.name
    row.raw = ""
    row.save()
    with files_kept_only_if_committed() as stored:
        files = _files_detail(message, row, actor, stored) if raw else {}
        row.activity = Activity.objects.create(
            account=account, actor=None, kind=ActivityKind.EMAIL, occurred_at=row.created_at,
            subject=row.subject, body=row.body, contact=contact,
            details={"email": str(row.id), "direction": row.direction,
                     "status": EmailStatus.RECEIVED, "from": address, **files},
        )  # fmt: skip
    row.save(update_fields=["activity"])
    if kept:
        storage = row.raw.storage
        transaction.on_commit(lambda: storage.delete(kept))
    event_record(kind=EventType.LEAD_RECEIVED, record_type="account", record_id=account.pk,
                 data={**account_event_data(account), "source": "email"})  # fmt: skip
    return account


def email_receive(*, raw: bytes) -> Received:
    """Log one received message (its raw bytes as the receiver got them). Idempotent."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    bounce = _bounce(message)
    if bounce is not None:
        return bounce
    found = MESSAGE_ID.findall(str(message["Message-ID"] or ""))
    # A message without an id gets one from its bytes: the same bytes again are the same mail.
    message_id = found[0] if found else f"<{hashlib.sha256(raw).hexdigest()}@received>"
    existing = Email.objects.filter(message_id=message_id).first()
    if existing is not None:
        return Received(outcome="duplicate", email=existing)
    try:
        return _log(message, message_id, raw)
    except IntegrityError:  # the same mail through a second receiver at the same moment
        return Received(outcome="duplicate", email=Email.objects.get(message_id=message_id))
