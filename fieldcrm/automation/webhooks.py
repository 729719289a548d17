"""Outbound webhooks: a signed POST of one event to one URL, sent by the notifications worker.

Each (webhook, event) pair has one WebhookDelivery and one notifications ``Delivery`` row
(channel ``webhook``), written together; the worker claims the row before the POST and marks
it after, exactly as for e-mail, so two workers never both send it and a crash never loses it.
A worker killed after the POST and before marking it sends again after the lease: the same
body and the same ``FieldCRM-Idempotency-Key`` (the event's id), which the receiver uses to
drop the copy. Timeouts and non-2xx answers are retried with exponential backoff for 24 hours;
after FIELDCRM_WEBHOOK_DISABLE_AFTER failures in a row the webhook is disabled and the admins
are told.

Headers of every POST (README, "Outbound webhooks", has a verification snippet):
``FieldCRM-Event``, ``FieldCRM-Idempotency-Key``, ``FieldCRM-Timestamp`` (Unix seconds) and
``FieldCRM-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from fieldcrm.automation.models import Event, Webhook, WebhookAttempt, WebhookDelivery
from fieldcrm.notifications import clock
from fieldcrm.notifications.delivery import Undeliverable
from fieldcrm.notifications.models import Delivery, NotificationKind
from fieldcrm.notifications.services import notification_create
from fieldcrm.users.models import User

log = logging.getLogger(__name__)

CHANNEL = "webhook"
RETRY_WINDOW = dt.timedelta(hours=24)
MAX_WAIT = dt.timedelta(hours=6)


class WebhookFailed(Exception):
    """A timeout, a refused connection or a non-2xx answer: retried."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``FieldCRM-Signature`` value: v1= hex HMAC-SHA256 of ``timestamp.body``."""
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def event_body(event: Event) -> bytes:
    """The POST body: the same bytes on every attempt and replay of this event."""
    payload = {"id": str(event.pk), "type": event.kind,
               "created_at": event.created_at.isoformat(), "data": event.data}  # fmt: skip
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def webhook_enqueue(*, webhook: Webhook, event: Event) -> WebhookDelivery | None:
    """Queue ``event`` for ``webhook`` once (None when it was queued already)."""
    now = clock.now()
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                channel=CHANNEL, key=f"wh.{webhook.pk}.{event.pk}", not_before=now
            )
            return WebhookDelivery.objects.create(
                webhook=webhook, event=event, delivery=delivery, created_at=now, retry_from=now
            )
    except IntegrityError:
        return None


def webhooks_any() -> bool:
    return Webhook.objects.filter(enabled=True).exists()


def webhooks_for(event: Event) -> list[Webhook]:
    # Few rows; the JSON list is matched here (SQLite has no JSON containment lookup).
    return [w for w in Webhook.objects.filter(enabled=True) if event.kind in w.event_types]


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.FIELDCRM_WEBHOOK_TIMEOUT_S) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:  # a non-2xx answer: its status is the outcome
        return int(exc.code)


def webhook_send(delivery: Delivery) -> None:
    """The channel's sender (called by the notifications worker with the row claimed)."""
    wd = WebhookDelivery.objects.select_related("webhook", "event").get(delivery=delivery)
    webhook = wd.webhook
    if not webhook.enabled:
        raise Undeliverable("the webhook is disabled")
    body = event_body(wd.event)
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "FieldCRM-Webhooks/1",
        "FieldCRM-Event": wd.event.kind,
        "FieldCRM-Idempotency-Key": wd.idempotency_key,
        "FieldCRM-Timestamp": str(timestamp),
        "FieldCRM-Signature": sign(webhook.secret, timestamp, body),
    }
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        status = _post(webhook.url, body, headers)
    except (OSError, ValueError) as exc:  # timeout, refused, DNS, TLS: no answer at all
        error = f"{type(exc).__name__}: {exc}"[:300]
    attempt = WebhookAttempt.objects.create(
        webhook_delivery=wd, at=clock.now(), status_code=status, error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )  # fmt: skip
    if attempt.ok:
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=0)
        return
    Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    webhook.refresh_from_db(fields=["consecutive_failures", "enabled"])
    reason = error or f"HTTP {status}"
    if webhook.enabled and webhook.consecutive_failures >= settings.FIELDCRM_WEBHOOK_DISABLE_AFTER:
        webhook_disable(webhook=webhook, reason=reason)
        raise Undeliverable(f"{reason}; the webhook was disabled")
    raise WebhookFailed(reason)


def webhook_retry_at(delivery: Delivery, now: dt.datetime) -> dt.datetime | None:
    """1, 2, 4 … minutes after each failure (at most 6 hours apart), for 24 hours from the
    first attempt (or the last replay); the last try is at the end of the window."""
    wd = WebhookDelivery.objects.only("retry_from").get(delivery=delivery)
    return window_retry_at(attempts=delivery.attempts, now=now, start=wd.retry_from)


def window_retry_at(*, attempts: int, now: dt.datetime, start: dt.datetime) -> dt.datetime | None:
    """The webhooks' schedule, for any channel that promises it (messenger replies too): after
    ``attempts`` failures, wait 1, 2, 4 … minutes (at most MAX_WAIT) within RETRY_WINDOW from
    ``start``; the last try is at the end of the window, then None (give up)."""
    deadline = start + RETRY_WINDOW
    if now >= deadline:
        return None
    wait = min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_WAIT)
    return min(now + wait, deadline)


@transaction.atomic
def webhook_disable(*, webhook: Webhook, reason: str) -> None:
    """Stop sending to ``webhook`` and tell every admin (once per disabling)."""
    changed = Webhook.objects.filter(pk=webhook.pk, enabled=True).update(
        enabled=False, disabled_reason=reason[:300]
    )
    if not changed:
        return
    log.warning("webhook %s disabled after %s failures: %s", webhook.pk,
                webhook.consecutive_failures, reason)  # fmt: skip
    stamp = int(clock.now().timestamp())
    params: dict[str, Any] = {"url": webhook.url, "failures": webhook.consecutive_failures,
                              "reason": reason[:300]}  # fmt: skip
    admins = User.objects.filter(Q(role=User.Role.ADMIN) | Q(is_superuser=True), is_active=True)
    for admin in admins:
        notification_create(
            recipient=admin, kind=NotificationKind.WEBHOOK_DISABLED, params=params,
            key=f"webhook_disabled.{webhook.pk}.{stamp}.{admin.pk}",
        )  # fmt: skip
