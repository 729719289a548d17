"""Writes of notifications: create once (by key) with their deliveries, mark read, preferences."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import get_scoped, scoped
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
            # Web push is not built yet: a push preference shows in the bell only for now.
            if channel == NotificationChannel.EMAIL and recipient.email:
                now = clock.now()
                settings_ = notification_settings_get(user=recipient)
                Delivery.objects.create(
                    notification=notification, channel=channel,
                    key=f"{notification.pk}.{channel}",
                    not_before=_after_quiet_hours(recipient, settings_, now),
                )  # fmt: skip
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
