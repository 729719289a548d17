"""A notification as an e-mail: plain text and HTML, in the recipient's language (RTL for
Persian), with its record's link, an unsubscribe link for its kind and a stable Message-ID."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from fieldcrm.notifications import texts
from fieldcrm.notifications.models import Delivery, Notification
from fieldcrm.notifications.selectors import notification_settings_get
from fieldcrm.tasks.selectors import user_timezone

UNSUBSCRIBE_SALT = "fieldcrm.notifications.unsubscribe"
# Asked before each e-mail goes out: a reason when the address must not be written to (the
# emails app's suppression list registers here, so this app does not import it).
SUPPRESSION_CHECKS: list[Callable[[str], str | None]] = []


class Suppressed(Exception):
    """The address is on the suppression list: the delivery is skipped, with the reason."""


def register_suppression_check(check: Callable[[str], str | None]) -> None:
    if check not in SUPPRESSION_CHECKS:
        SUPPRESSION_CHECKS.append(check)


def suppression_reason(address: str) -> str | None:
    for check in SUPPRESSION_CHECKS:
        reason = check(address)
        if reason:
            return reason
    return None


class MailSession:
    """One SMTP connection shared by the e-mails of one worker pass.

    Opening a connection (TCP, EHLO, STARTTLS, login) costs more than a message on it, so a
    pass sends its e-mails over one, opened at the first and closed at the end (or after
    ``FIELDCRM_EMAIL_PER_CONNECTION`` messages). Each message is still its own hand-off: the
    worker claims and marks every delivery on its own, so a message the server refuses, or a
    connection that drops under it, fails that delivery only; the connection is then closed
    and the next message opens a fresh one, as a lost connection leaves smtplib unusable.
    """

    def __init__(self, *, per_connection: int) -> None:
        self.per_connection = per_connection
        self.connection: BaseEmailBackend | None = None
        self.on_connection = 0
        self.opened = 0  # connections opened, for tests and the bench

    def send(self, message: EmailMessage) -> None:
        if self.connection is not None and self.on_connection >= self.per_connection:
            self.close()
        if self.connection is None:
            connection = get_connection()
            connection.open()
            self.connection, self.on_connection = connection, 0
            self.opened += 1
        try:
            self.connection.send_messages([message])
        except BaseException:
            self.close()
            raise
        self.on_connection += 1

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a dropped connection cannot say QUIT
                connection.close()


_session: ContextVar[MailSession | None] = ContextVar("fieldcrm_mail_session", default=None)


@contextlib.contextmanager
def mail_session() -> Iterator[MailSession]:
    """E-mails sent through ``mail_send`` inside share one connection (see MailSession)."""
    session = MailSession(per_connection=settings.FIELDCRM_EMAIL_PER_CONNECTION)
    token = _session.set(session)
    try:
        yield session
    finally:
        _session.reset(token)
        session.close()


def mail_send(message: EmailMessage) -> None:
    """Hand one message to SMTP: over the pass's open connection, or its own outside one."""
    session = _session.get()
    if session is None:
        message.send()
    else:
        session.send(message)


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str]:
    """(user id, kind) from a token (signing.BadSignature when forged)."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    return int(data["u"]), str(data["k"])


def notification_email(notification: Notification, *, message_id: str) -> EmailMultiAlternatives:
    user = notification.recipient
    language = notification_settings_get(user=user).language
    title, body = texts.render(notification, language=language, tz=user_timezone(user=user))
    token = unsubscribe_token(user_id=user.pk, kind=notification.kind)
    unsubscribe = settings.FIELDCRM_PUBLIC_URL + reverse("notifications:unsubscribe", args=[token])
    link = settings.FIELDCRM_PUBLIC_URL + reverse("notifications:open", args=[notification.pk])
    with translation.override(language):
        context = {"title": title, "body": body, "link": link, "unsubscribe": unsubscribe,
                   "language": language, "rtl": translation.get_language_bidi()}  # fmt: skip
        text = render_to_string("notifications/email.txt", context)
        html = render_to_string("notifications/email.html", context)
    message = EmailMultiAlternatives(
        subject=title, body=text, to=[user.email],
        headers={
            "Message-ID": message_id,
            "Content-Language": language,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )  # fmt: skip
    message.attach_alternative(html, "text/html")
    return message


def send_notification_email(delivery: Delivery) -> None:
    assert delivery.notification is not None  # an e-mail delivery always has its notification
    reason = suppression_reason(delivery.notification.recipient.email)
    if reason:
        raise Suppressed(reason)
    mail_send(notification_email(delivery.notification, message_id=delivery.message_id))
