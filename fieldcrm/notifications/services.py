"""Writes of notifications: create once (by key) with their deliveries, mark read, preferences."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import NotInScope, get_scoped, scoped
from fieldcrm.core.errors import DomainError
from fieldcrm.core.models import update_many
from fieldcrm.notifications import clock
from fieldcrm.notifications.models import (
    Delivery,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    NotificationSettings,
    PushSubscription,
)
from fieldcrm.notifications.selectors import notification_settings_get, preference_channels
from fieldcrm.tasks.selectors import user_timezone
from fieldcrm.users.models import User


def _after_quiet_hours(
    user: User, settings_: NotificationSettings, now: dt.datetime
) -> dt.datetime:
    """``now``, or the end of the user's quiet hours when ``now`` falls inside them."""
    tz = user_timezone(user=user)
    local = now.astimezone(tz)
    if settings_.quiet_end is None or not settings_.in_quiet_hours(local.time()):
        return now
    end = dt.datetime.combine(local.date(), settings_.quiet_end, tzinfo=tz)
    if end <= local:
        end = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), settings_.quiet_end, tzinfo=tz
        )
    return end.astimezone(dt.UTC)


def _deliveries_create(notification: Notification, channel: str) -> None:
    """The rows that carry ``notification`` beyond the bell: one e-mail, or one push per
    device the recipient has subscribed (none yet: the bell alone)."""
    recipient = notification.recipient
    if channel == NotificationChannel.EMAIL:
        targets: list[PushSubscription | None] = [None] if recipient.email else []
    elif channel == NotificationChannel.PUSH:
        targets = list(PushSubscription.objects.filter(user=recipient).order_by("pk"))
    else:
        return
    if not targets:
        return
    not_before = _after_quiet_hours(recipient, notification_settings_get(user=recipient),
                                    clock.now())  # fmt: skip
    Delivery.objects.bulk_create([
        Delivery(
            notification=notification, channel=channel, subscription=target,
            key=f"{notification.pk}.{channel}" + (f".{target.pk}" if target else ""),
            not_before=not_before,
        )
        for target in targets
    ])  # fmt: skip


def notification_create(
    *,
    recipient: User,
    kind: str,
    params: dict[str, Any],
    record: tuple[str, uuid.UUID | None] = ("", None),
    key: str | None = None,
    channels: dict[str, str] | None = None,
) -> Notification | None:
    """Tell ``recipient``, once per ``key``, with a delivery row per extra channel written in
    the same transaction (so a crash before sending never loses the e-mail). None when the
    key was taken already or the user turned this kind off."""
    channel = (channels or preference_channels(user=recipient))[kind]
    if channel == NotificationChannel.OFF:
        return None
    notification = Notification(
        recipient=recipient, kind=kind, params=params, record_type=record[0],
        record_id=record[1], key=key,
    )  # fmt: skip
    # The key's uniqueness is the database's to enforce (a racing run gets IntegrityError).
    notification.full_clean(exclude=["recipient", "id"], validate_unique=False)
    try:
        with transaction.atomic():
            notification.save()
            _deliveries_create(notification, channel)
    except IntegrityError:
        if key is None or not Notification.all_objects.filter(key=key).exists():
            raise
        return None  # another run made it first
    return notification


@transaction.atomic
def notification_mark_read(*, actor: User, notification_id: object) -> Notification:
    """Mark one read; marking a read one again changes nothing (a retried tap is harmless)."""
    notification = get_scoped(Notification, actor, notification_id, write=True)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_unread(*, actor: User, notification_id: object) -> Notification:
    notification = get_scoped(Notification, actor, notification_id, write=True)
    if notification.read_at is not None:
        notification.read_at = None
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the caller read; returns how many changed."""
    unread = list(scoped(Notification, actor, write=True).filter(read_at__isnull=True))
    now = timezone.now()
    for notification in unread:
        notification.read_at = now
    update_many(unread, ["read_at"])
    return len(unread)


@transaction.atomic
def notification_settings_update(*, actor: User, data: dict[str, Any]) -> NotificationSettings:
    """Change the caller's language, quiet hours, lead time and per-kind channels."""
    channels = data.pop("channels", None) or {}
    settings_ = notification_settings_get(user=actor)
    for name, value in data.items():
        if value is None and name in ("language", "lead_minutes"):
            raise DomainError(name, _("This field cannot be empty."))
        setattr(settings_, name, value)
    if (settings_.quiet_start is None) != (settings_.quiet_end is None):
        raise DomainError("quiet_end", _("Quiet hours need both a start and an end."))
    settings_.full_clean()
    settings_.save()
    for kind, channel in channels.items():
        preference_set(user=actor, kind=kind, channel=channel)
    return settings_


def preference_set(*, user: User, kind: str, channel: str) -> None:
    """The user's channel for one kind (an unsubscribe link sets e-mail kinds to in app)."""
    if kind not in NotificationKind.values:
        raise DomainError("kind", _("Unknown notification kind."))
    if channel not in NotificationChannel.values:
        raise DomainError("channel", _("Unknown channel."))
    NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"channel": channel}
    )


# A user's devices with push on; a new one beyond this replaces their oldest.
MAX_PUSH_DEVICES = 10


def _b64url_bytes(value: str, *, field: str, length: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != length:
        raise DomainError(field, _("Not a key this browser could have made."))
    return raw


@transaction.atomic
def push_subscription_save(
    *, actor: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Keep the caller's device's push address (the browser's PushSubscription). The same
    endpoint again updates its keys; an endpoint another login had moves to the caller."""
    parts = urlsplit(endpoint)
    schemes = ("https", "http") if settings.FIELDCRM_PUSH_INSECURE_ENDPOINTS else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise DomainError("endpoint", _("A push endpoint is an https:// address."))
    if _b64url_bytes(p256dh, field="keys.p256dh", length=65)[0] != 4:
        raise DomainError("keys.p256dh", _("Not a key this browser could have made."))
    _b64url_bytes(auth, field="keys.auth", length=16)
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"user": actor, "p256dh": p256dh, "auth": auth,
                  "user_agent": user_agent[:300], "created_at": timezone.now()},
    )  # fmt: skip
    surplus = (
        PushSubscription.objects.filter(user=actor)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[MAX_PUSH_DEVICES:]
    )
    PushSubscription.objects.filter(pk__in=list(surplus)).delete()
    return subscription


@transaction.atomic
def push_subscription_delete(*, actor: User, endpoint: str) -> None:
    """Stop pushes to one of the caller's devices (another user's endpoint: not found)."""
    deleted, _rows = scoped(PushSubscription, actor, write=True).filter(endpoint=endpoint).delete()
    if not deleted:
        raise NotInScope(PushSubscription)
