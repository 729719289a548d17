"""Notification API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from fieldcrm.core.schemas import Input, LocalTime
from fieldcrm.notifications import texts
from fieldcrm.notifications.models import Notification, NotificationChannel, NotificationKind


class NotificationOut(Schema):
    id: uuid.UUID
    kind: NotificationKind
    params: dict[str, Any]
    title: str
    body: str
    record_type: str
    record_id: uuid.UUID | None
    link: str
    read_at: dt.datetime | None
    is_read: bool
    version: int
    created_at: dt.datetime

    @staticmethod
    def resolve_title(obj: Notification) -> str:
        return texts.render(obj)[0]

    @staticmethod
    def resolve_body(obj: Notification) -> str:
        return texts.render(obj)[1]

    @staticmethod
    def resolve_link(obj: Notification) -> str:
        return texts.record_path(obj.record_type, obj.record_id)


class NotificationFilters(Input):
    unread: bool | None = Field(default=None, description="Only unread (true) or read (false)")


class UnreadCountOut(Schema):
    count: int


class MarkedOut(Schema):
    marked: int


class NotificationSettingsOut(Schema):
    language: str
    quiet_start: LocalTime | None
    quiet_end: LocalTime | None
    lead_minutes: int
    channels: dict[NotificationKind, NotificationChannel]


class NotificationSettingsPatch(Input):
    language: str | None = Field(default=None, max_length=8, description="en, vi or fa")
    quiet_start: LocalTime | None = None
    quiet_end: LocalTime | None = None
    lead_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)
    channels: dict[NotificationKind, NotificationChannel] | None = None


class NotificationSyncPatch(Schema):
    """What the phone may change offline: read or not."""

    is_read: bool | None = None


class NotificationCreate(Schema):
    """Phones never create notifications; the sync refuses such a push by this empty shape."""


class CalendarFeedOut(Schema):
    active: bool
    created_at: dt.datetime | None


class CalendarFeedCreated(Schema):
    url: str = Field(description="Shown once: only a hash of its secret is kept.")
    created_at: dt.datetime


class PushKeyOut(Schema):
    public_key: str = Field(description="The server's VAPID key: the applicationServerKey")


class PushKeysIn(Input):
    p256dh: str = Field(max_length=100)
    auth: str = Field(max_length=40)


class PushSubscriptionIn(Input):
    """A browser's PushSubscription.toJSON() (expirationTime is ignored)."""

    endpoint: str = Field(max_length=1000)
    keys: PushKeysIn
    expirationTime: int | None = None  # noqa: N815 (the browser's own name)


class PushSubscriptionDelete(Input):
    endpoint: str = Field(max_length=1000)


class PushSubscriptionOut(Schema):
    id: int
    endpoint: str
    created_at: dt.datetime
