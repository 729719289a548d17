"""Sending each delivery once: claim (recorded before), hand off, mark sent (recorded after).

A claim is one conditional UPDATE that only one worker can win, on both databases: the row
must be pending and due, or claimed by a worker whose lease ran out (it died mid-send). The
winner commits the claim before it sends, so a second worker, a retry or a restarted worker
finds the row taken or sent. A worker killed between the hand-off and marking it sent leaves
a lease (FIELDCRM_DELIVERY_LEASE_S, 5 minutes; longer than any transport's timeout, or a slow
send would be taken for a dead one) that expires: the row goes out again with the same
Message-ID, and that copy is the one the receiver must drop (no transport closes that
window). A failure is retried with exponential backoff, then the row is marked failed.

Channels register here: e-mail and push (this app) and webhooks (the automation app, with its
own retry schedule of up to 24 hours, which messenger replies, channel im_reply, share); every
channel shares the claim, the lease and the log of errors.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db.models import F, Q

from fieldcrm.notifications import clock
from fieldcrm.notifications.email import Suppressed, mail_session, send_notification_email
from fieldcrm.notifications.models import Delivery, NotificationChannel

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SENDERS: dict[str, Callable[[Delivery], None]] = {
    NotificationChannel.EMAIL: send_notification_email
}
# Per channel: when to try again after ``delivery.attempts`` failures (None: give up).
RETRIES: dict[str, Callable[[Delivery, dt.datetime], dt.datetime | None]] = {}


class Undeliverable(Exception):
    """The sender knows no retry can succeed (e.g. its webhook was disabled): fail the row now."""


def register_channel(
    channel: str,
    *,
    sender: Callable[[Delivery], None],
    retry_at: Callable[[Delivery, dt.datetime], dt.datetime | None],
) -> None:
    SENDERS[channel] = sender
    RETRIES[channel] = retry_at


def _due(now: dt.datetime) -> Q:
    pending = Q(status=Delivery.Status.PENDING, not_before__lte=now)
    abandoned = Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
    return pending | abandoned


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after each failed attempt, at most 4 hours."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), dt.timedelta(hours=4))


def default_retry_at(delivery: Delivery, now: dt.datetime) -> dt.datetime | None:
    if delivery.attempts >= MAX_ATTEMPTS:
        return None
    return now + backoff(delivery.attempts)


def delivery_claim(*, delivery_id: int, now: dt.datetime) -> bool:
    """Take the row for one send; False when another worker has it or it is done."""
    won = (
        Delivery.objects.filter(_due(now), pk=delivery_id)
        .update(status=Delivery.Status.SENDING,
                claimed_until=now + dt.timedelta(seconds=settings.FIELDCRM_DELIVERY_LEASE_S),
                attempts=F("attempts") + 1)
    )  # fmt: skip
    return won == 1


def delivery_send(*, delivery: Delivery, now: dt.datetime) -> str:
    """Hand one claimed delivery to its transport and record the outcome."""
    sender = SENDERS.get(delivery.channel)
    try:
        if sender is None:
            raise LookupError(f"no sender for {delivery.channel}")
        sender(delivery)
    except Suppressed as exc:
        # Never sent, on purpose: the row says why (the suppression list's reason).
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.SKIPPED, claimed_until=None, last_error=str(exc)[:2000]
        )
        log.info("delivery %s skipped: %s", delivery.key, exc)
        return Delivery.Status.SKIPPED
    except Exception as exc:  # any transport failure is retried; the row keeps why
        retry = RETRIES.get(delivery.channel, default_retry_at)
        again = None if sender is None or isinstance(exc, Undeliverable) else retry(delivery, now)
        status = Delivery.Status.FAILED if again is None else Delivery.Status.PENDING
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status, claimed_until=None, not_before=again or now,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )  # fmt: skip
        log.warning("delivery %s attempt %s failed: %s", delivery.key, delivery.attempts, exc)
        return status
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=clock.now(), claimed_until=None, last_error=""
    )
    return Delivery.Status.SENT


def deliveries_send(*, limit: int = 200) -> dict[str, int]:
    """Send what is due now, each row claimed first; returns counts per outcome.

    The pass's e-mails share one SMTP connection (``mail_session``); each row is still
    claimed, sent and marked on its own, so one failure leaves only that row to retry."""
    now = clock.now()
    ids = list(
        Delivery.objects.filter(_due(now))
        .order_by("not_before", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes: dict[str, int] = {}
    with mail_session():
        for delivery_id in ids:
            # The lease starts when the row is claimed, not when the pass began: a long pass
            # would otherwise claim rows already past their lease, free for another worker to
            # take while this one sends them (a copy with no worker dead).
            now = clock.now()
            if not delivery_claim(delivery_id=delivery_id, now=now):
                outcomes["taken"] = outcomes.get("taken", 0) + 1
                continue
            delivery = Delivery.objects.select_related(
                "notification", "notification__recipient", "subscription"
            ).get(pk=delivery_id)
            outcome = delivery_send(delivery=delivery, now=now)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
