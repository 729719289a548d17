"""/api/v1/notifications: the caller's own notifications, unread count, mark read, settings;
/api/v1/push: the server's push key and the caller's devices with push on."""

import uuid

from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import Page
from fieldcrm.notifications import calendar, push, selectors, services
from fieldcrm.notifications.schemas import (
    CalendarFeedCreated,
    CalendarFeedOut,
    MarkedOut,
    NotificationFilters,
    NotificationOut,
    NotificationSettingsOut,
    NotificationSettingsPatch,
    PushKeyOut,
    PushSubscriptionDelete,
    PushSubscriptionIn,
    PushSubscriptionOut,
    UnreadCountOut,
)
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["notifications"])


@router.get("/notifications", response=list[NotificationOut])
@paginate(Page)
def list_notifications(request: ApiRequest, filters: Query[NotificationFilters]):
    """Your notifications, newest first."""
    reject_unknown_params(request, NotificationFilters)
    return selectors.notification_list(actor=request.auth, unread=filters.unread)


@router.get("/notifications/unread-count", response=UnreadCountOut)
def count_unread_notifications(request: ApiRequest):
    return {"count": selectors.notification_unread_count(actor=request.auth)}


@router.post("/notifications/read-all", response=MarkedOut)
def read_all_notifications(request: ApiRequest):
    """Mark every notification of yours read."""
    return {"marked": services.notification_mark_all_read(actor=request.auth)}


@router.get("/notifications/settings", response=NotificationSettingsOut)
def get_notification_settings(request: ApiRequest):
    """Language of your messages, quiet hours, reminder lead time, a channel per kind."""
    return selectors.notification_settings_view(user=request.auth)


@router.patch("/notifications/settings", response=NotificationSettingsOut)
def update_notification_settings(request: ApiRequest, payload: NotificationSettingsPatch):
    services.notification_settings_update(actor=request.auth, data=payload.dict(exclude_unset=True))
    return selectors.notification_settings_view(user=request.auth)


@router.get("/notifications/{notification_id}", response=NotificationOut)
def get_notification(request: ApiRequest, notification_id: uuid.UUID):
    return selectors.notification_get(actor=request.auth, notification_id=notification_id)


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read_notification(request: ApiRequest, notification_id: uuid.UUID):
    """Mark it read; idempotent."""
    return services.notification_mark_read(actor=request.auth, notification_id=notification_id)


@router.get("/calendar-feed", response=CalendarFeedOut)
def get_calendar_feed(request: ApiRequest):
    """Whether your calendar address is live (its secret is shown only when made)."""
    feed = calendar.calendar_feed_active(user=request.auth)
    return {"active": feed is not None, "created_at": feed.created_at if feed else None}


@router.post("/calendar-feed", response={201: CalendarFeedCreated})
def create_calendar_feed(request: ApiRequest):
    """A new secret address for your calendar (tasks, visits); the previous one stops."""
    secret = calendar.calendar_feed_create(user=request.auth)
    return Status(201, {"url": calendar.feed_url(secret), "created_at": timezone.now()})


@router.delete("/calendar-feed", response={204: None})
def revoke_calendar_feed(request: ApiRequest):
    calendar.calendar_feed_revoke(user=request.auth)
    return Status(204, None)


@router.get("/push/key", response=PushKeyOut)
def get_push_key(request: ApiRequest):
    """The key a browser subscribes with (``applicationServerKey``)."""
    return {"public_key": push.vapid_public_key()}


@router.post("/push/subscriptions", response={201: PushSubscriptionOut})
def create_push_subscription(request: ApiRequest, payload: PushSubscriptionIn):
    """Push on for this device: its browser's PushSubscription (again: keys updated)."""
    subscription = services.push_subscription_save(
        actor=request.auth, endpoint=payload.endpoint, p256dh=payload.keys.p256dh,
        auth=payload.keys.auth, user_agent=request.headers.get("User-Agent", ""),
    )  # fmt: skip
    return Status(201, subscription)


@router.delete("/push/subscriptions", response={204: None})
def delete_push_subscription(request: ApiRequest, payload: PushSubscriptionDelete):
    """Push off for one of your devices."""
    services.push_subscription_delete(actor=request.auth, endpoint=payload.endpoint)
    return Status(204, None)
