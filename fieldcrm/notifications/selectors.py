"""Reads of notifications: a user sees only their own (access.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fieldcrm.access import get_scoped, scoped
from fieldcrm.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    NotificationSettings,
)
from fieldcrm.users.models import User

# A digest is a morning e-mail unless the user chooses otherwise (no address: the bell only).
DEFAULT_CHANNELS = {NotificationKind.DAILY_DIGEST.value: NotificationChannel.EMAIL.value}


def notification_list(*, actor: User, unread: bool | None = None) -> QuerySet[Notification]:
    """The caller's notifications, newest first, ties by id."""
    qs = scoped(Notification, actor)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs.order_by("-created_at", "-id")


def notification_unread_count(*, actor: User) -> int:
    return scoped(Notification, actor).filter(read_at__isnull=True).count()


def notification_get(*, actor: User, notification_id: object) -> Notification:
    return get_scoped(Notification, actor, notification_id)


def notification_settings_get(*, user: User) -> NotificationSettings:
    """The user's settings; defaults (unsaved) when they never chose."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


def preference_channels(*, user: User) -> dict[str, str]:
    """Per kind, the channel the user chose (in app unless they chose otherwise)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return {kind: chosen.get(kind, DEFAULT_CHANNELS.get(kind, NotificationChannel.IN_APP))
            for kind in NotificationKind.values}  # fmt: skip


def notification_settings_view(*, user: User) -> dict[str, Any]:
    """Settings and per-kind channels in the API's shape."""
    found = notification_settings_get(user=user)
    return {
        "language": found.language,
        "quiet_start": found.quiet_start,
        "quiet_end": found.quiet_end,
        "lead_minutes": found.lead_minutes,
        "channels": preference_channels(user=user),
    }
