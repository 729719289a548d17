"""A contact's e-mail as a channel of the notifications worker, and the suppression check.

The worker claims the ``Delivery`` row (crm_mail channel) before the hand-off and marks it
after, so each e-mail goes once; a worker killed mid-send leaves a lease that expires and the
copy carries the same Message-ID. Here: build the message (plain text, the unsubscribe link in
the body and in ``List-Unsubscribe`` with ``List-Unsubscribe-Post``, RFC 8058), refuse a
suppressed address at the last moment (it may have been added since the e-mail was queued),
and keep the e-mail's status and its timeline entry in step with the delivery."""

from __future__ import annotations

import datetime as dt
import unicodedata
from email.utils import formataddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from fieldcrm.emails.models import Email, EmailStatus, Suppression
from fieldcrm.notifications.delivery import default_retry_at
from fieldcrm.notifications.email import Suppressed, mail_send
from fieldcrm.notifications.models import Delivery

CHANNEL = "crm_mail"
UNSUBSCRIBE_SALT = "fieldcrm.emails.unsubscribe"


def fold(address: str) -> str:
    """An address as the suppression list keeps it: trimmed, lower case."""
    return (address or "").strip().lower()


def one_line(text: str) -> str:
    """``text`` without control characters (CR, LF, NUL, tabs…): nothing can start a new
    header. Used for every value that reaches a header from data (names, received subjects)."""
    cleaned = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text or "")
    return " ".join(cleaned.split())


def suppression_reason(address: str) -> str | None:
    """Why ``address`` must not be written to, or None."""
    row = Suppression.objects.filter(address=fold(address), lifted_at__isnull=True).first()
    return None if row is None else str(row.get_reason_display())


def unsubscribe_token(address: str) -> str:
    return signing.dumps({"a": fold(address)}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> str:
    """The address a token is for (signing.BadSignature when forged)."""
    return str(signing.loads(token, salt=UNSUBSCRIBE_SALT)["a"])


def unsubscribe_url(address: str) -> str:
    path = reverse("emails_public:unsubscribe", args=[unsubscribe_token(address)])
    return settings.FIELDCRM_PUBLIC_URL + path


def email_message(email: Email) -> EmailMessage:
    """The message on the wire; every header value from data goes through ``one_line``."""
    link = unsubscribe_url(email.to_address)
    with translation.override(email.language):
        body = render_to_string("emails/outgoing.txt", {"body": email.body, "unsubscribe": link})
    contact_name = one_line(email.contact.name) if email.contact else ""
    sender = email.created_by
    # Replies go to the sender and to the dropbox, which logs them on the timeline.
    reply_to = [settings.FIELDCRM_INBOUND_ADDRESS]
    if sender is not None and sender.email:
        reply_to.insert(0, formataddr((one_line(sender.display_name), sender.email)))
    message = EmailMessage(
        subject=one_line(email.subject), body=body,
        to=[formataddr((contact_name, email.to_address))], reply_to=reply_to,
        headers={
            "Message-ID": email.message_id,
            "Content-Language": email.language,
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )  # fmt: skip
    for file in email.attachments.all():
        with file.file.open("rb") as handle:
            # Our name and type, as stored: never the uploader's or the sender's claims.
            message.attach(one_line(file.name), handle.read(), file.content_type)
    return message


def email_status_set(email: Email, status: str, error: str = "") -> None:
    """The e-mail's status, and the same on its timeline entry (a synced activity)."""
    email.status, email.error = status, error[:2000]
    email.save(update_fields=["status", "error"])
    activity = email.activity
    if activity is not None:
        activity.details = {**(activity.details or {}), "status": status}
        activity.save()


def email_deliver(delivery: Delivery) -> None:
    """The crm_mail channel's sender: one claimed delivery, one SMTP hand-off."""
    email = Email.objects.select_related("contact", "created_by", "activity").get(delivery=delivery)
    reason = suppression_reason(email.to_address)
    if reason:
        email_status_set(email, EmailStatus.SUPPRESSED, reason)
        raise Suppressed(reason)
    mail_send(email_message(email))
    email_status_set(email, EmailStatus.SENT)


def email_retry_at(delivery: Delivery, now: dt.datetime) -> dt.datetime | None:
    """The worker's default backoff; when it gives up, the e-mail shows as failed."""
    again = default_retry_at(delivery, now)
    if again is None:
        email = Email.objects.select_related("activity").filter(delivery=delivery).first()
        if email is not None:
            email_status_set(email, EmailStatus.FAILED, delivery.last_error)
    return again
