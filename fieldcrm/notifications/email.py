"""A notification as an e-mail: plain text and HTML, in the recipient's language (RTL for
Persian), with its record's link, an unsubscribe link for its kind and a stable Message-ID."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
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
    notification_email(delivery.notification, message_id=delivery.message_id).send()
