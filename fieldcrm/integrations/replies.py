"""Replies to messenger messages from an account's page: a ``Message`` (outgoing), its entry
on the timeline and a notifications ``Delivery`` (channel ``im_reply``), written together, so
the worker sends it once — claimed, leased, retried on the webhooks' 24-hour schedule —
exactly like a webhook.

The POST to the integration's reply URL is signed like our outbound webhooks (README,
"Outbound webhooks"): ``FieldCRM-Event: message.reply``, ``FieldCRM-Idempotency-Key`` (the
reply's id, the same on every attempt), ``FieldCRM-Timestamp``, ``FieldCRM-Signature``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils.translation import gettext as _

from fieldcrm.access import get_scoped, scoped
from fieldcrm.accounts.models import Account, Activity, ActivityKind
from fieldcrm.automation.webhooks import WebhookFailed, _post, sign, window_retry_at
from fieldcrm.core.errors import DomainError
from fieldcrm.core.models import write_transaction
from fieldcrm.integrations.models import IntegrationKind, Message
from fieldcrm.notifications import clock
from fieldcrm.notifications.delivery import Undeliverable
from fieldcrm.notifications.models import Delivery
from fieldcrm.users.models import User

CHANNEL = "im_reply"
MAX_TEXT = 4000


def reply_target(*, actor: User, account_id: object) -> Message | None:
    """The conversation a reply from this account's page goes to: its latest incoming
    message through a messenger that has a reply URL (None: nothing to reply to)."""
    account = get_scoped(Account, actor, account_id)
    return (
        Message.objects.filter(
            account=account, direction=Message.Direction.INBOUND,
            integration__kind=IntegrationKind.MESSENGER, integration__is_active=True,
        ).exclude(integration__reply_url="")
        .select_related("integration").order_by("-created_at").first()
    )  # fmt: skip


def reply_block(*, actor: User, account_id: object) -> dict[str, Any]:
    """What the account page's reply card shows: to whom, on which channel, may they send."""
    target = reply_target(actor=actor, account_id=account_id)
    may = scoped(Account, actor, write=True).filter(pk=account_id).exists()
    return {"target": target, "may_reply": bool(target and may)}


@write_transaction
def reply_send(*, actor: User, account_id: object, text: str) -> Message:
    """Queue a reply to the account's latest messenger conversation, logged on the timeline."""
    account = get_scoped(Account, actor, account_id, write=True)
    text = text.strip()
    if not text:
        raise DomainError("text", _("This field cannot be empty."))
    if len(text) > MAX_TEXT:
        raise DomainError("text", _("At most %(n)d characters.") % {"n": MAX_TEXT})
    target = reply_target(actor=actor, account_id=account.pk)
    if target is None:
        raise DomainError("text", _("This account has no messenger conversation to reply to."))
    now = clock.now()
    activity = Activity.objects.create(
        account=account, kind=ActivityKind.MESSAGE, actor=actor, occurred_at=now,
        subject=(target.sender_name or target.sender)[:200], body=text,
        details={"direction": "out", "channel": target.channel, "sender": target.sender},
    )  # fmt: skip
    reply = Message.objects.create(
        integration=target.integration, direction=Message.Direction.OUTBOUND,
        channel=target.channel, sender=target.sender, sender_name=target.sender_name,
        text=text, account=account, activity=activity, created_by=actor, created_at=now,
        result={"in_reply_to": target.message_id},
    )  # fmt: skip
    reply.delivery = Delivery.objects.create(channel=CHANNEL, key=f"reply.{reply.pk}",
                                             not_before=now)  # fmt: skip
    reply.save(update_fields=["delivery"])
    return reply


def reply_body(reply: Message) -> bytes:
    """The same bytes on every attempt."""
    payload = {
        "id": str(reply.pk), "type": "message.reply", "created_at": reply.created_at.isoformat(),
        "data": {"channel": reply.channel, "recipient_id": reply.sender, "text": reply.text,
                 "in_reply_to": reply.result.get("in_reply_to", ""),
                 "account_id": str(reply.account_id),
                 "sent_by": reply.created_by.display_name if reply.created_by else ""},
    }  # fmt: skip
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def reply_deliver(delivery: Delivery) -> None:
    """The channel's sender (called by the notifications worker with the row claimed)."""
    reply = Message.objects.select_related("integration", "created_by").get(delivery=delivery)
    integration = reply.integration
    if not integration.is_active or not integration.reply_url:
        raise Undeliverable("the integration is off or has no reply URL")
    body = reply_body(reply)
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json", "User-Agent": "FieldCRM-Integrations/1",
        "FieldCRM-Event": "message.reply", "FieldCRM-Idempotency-Key": str(reply.pk),
        "FieldCRM-Timestamp": str(timestamp),
        "FieldCRM-Signature": sign(integration.secret, timestamp, body),
    }  # fmt: skip
    try:
        status = _post(integration.reply_url, body, headers)
    except (OSError, ValueError) as exc:
        raise WebhookFailed(f"{type(exc).__name__}: {exc}"[:300]) from exc
    if not 200 <= status < 300:
        raise WebhookFailed(f"HTTP {status}")


def reply_retry_at(delivery: Delivery, now: dt.datetime) -> dt.datetime | None:
    """The webhooks' schedule (automation.webhooks.window_retry_at): 1, 2, 4 … minutes after
    each failure, at most 6 hours apart, for 24 hours from when the reply was written; the
    last try is at the end of the window, then the delivery is failed."""
    written = Message.objects.only("created_at").get(delivery=delivery).created_at
    return window_retry_at(attempts=delivery.attempts, now=now, start=written)
