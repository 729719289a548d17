"""Notifications (what a user is told), their deliveries (each channel once), preferences."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.models import SyncedModel


class NotificationKind(models.TextChoices):
    TASK_DUE = "task_due", _("Task due")
    TASK_OVERDUE = "task_overdue", _("Task overdue")
    TASK_OVERDUE_MANAGER = "task_overdue_manager", _("A rep's task long overdue")
    ACCOUNT_VISIT_DUE = "account_visit_due", _("Account due for a visit")
    VISIT_BOOKED = "visit_booked", _("Booked visit tomorrow")
    DAILY_DIGEST = "daily_digest", _("Daily digest")
    AUTOMATION = "automation", _("Automation rule message")
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook disabled")
    INCOMING_CALL = "incoming_call", _("Incoming call")
    MESSAGE_RECEIVED = "message_received", _("Messenger message")


class NotificationChannel(models.TextChoices):
    """Per kind, what a user wants: the bell only, the bell and an e-mail (or push), nothing."""

    IN_APP = "in_app", _("In app")
    EMAIL = "email", _("E-mail")
    PUSH = "push", _("Push")
    OFF = "off", _("Off")


class Notification(SyncedModel):
    """One thing a user is told. Stored as kind + params, never as rendered text, so it shows
    in the language of whoever reads it (the phone renders its own copy offline)."""

    Kind = NotificationKind

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # The record it is about: "task" or "account", and its id.
    record_type = models.CharField(_("record type"), max_length=16, blank=True)
    record_id = models.UUIDField(_("record id"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # What made it, once: a second scheduler run (or a second scheduler) finds the key taken.
    key = models.CharField(max_length=200, unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # The sync pull's lookup (issue 22): the recipient's rows changed since a cursor.
            models.Index(fields=["recipient", "change_seq"], name="notification_sync_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A user's channel for one kind; no row means the default (in app; the digest: e-mail)."""

    Channel = NotificationChannel

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=NotificationChannel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.channel}"


class NotificationSettings(models.Model):
    """A user's language for messages, quiet hours (local time) and reminder lead time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    lead_minutes = models.PositiveSmallIntegerField(
        _("remind before a timed task (minutes)"), default=30
    )

    def __str__(self) -> str:
        return f"{self.user_id} settings"

    def in_quiet_hours(self, local: dt.time) -> bool:
        start, end = self.quiet_start, self.quiet_end
        if start is None or end is None or start == end:
            return False
        return start <= local < end if start < end else (local >= start or local < end)


class PushSubscription(models.Model):
    """One installed phone app's Web Push address (its browser's push service endpoint) and
    the keys its messages are encrypted to. Personal: only its user sees or removes it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    # The push service's URL for this browser: unique, so a browser that changes hands (another
    # login on the same phone) moves to its new user instead of being told twice.
    endpoint = models.CharField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=40)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("push subscription")

    def __str__(self) -> str:
        return f"push of {self.user_id}"


class Delivery(models.Model):
    """One notification on one channel, sent once.

    The row exists before anything is sent (written with the notification), is claimed
    (``sending`` with a lease) before the hand-off and marked ``sent`` after it: a second
    worker finds it claimed, a retry finds it sent, and a worker killed mid-send leaves a
    lease that expires, so the row is sent again with the same ``message_id`` for the
    receiver to drop (the one window no transport closes).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    # None for a channel that is not a person's notification (webhook: the automation app's
    # WebhookDelivery points here and its sender finds it).
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=8)
    # A push goes to one device: the row names it (gone when the push service said it expired).
    subscription = models.ForeignKey(
        PushSubscription, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="deliveries",
    )  # fmt: skip
    key = models.CharField(max_length=80, unique=True)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    not_before = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return self.key

    @property
    def message_id(self) -> str:
        """Stable across attempts: the receiver's way to drop a copy."""
        return f"<{self.key}@fieldcrm>"


class CalendarFeed(models.Model):
    """A user's secret calendar address (/calendar/<secret>.ics). Only a hash of the secret is
    kept; a new one replaces the old, and a revoked feed answers 404 like an unknown one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"calendar of {self.user_id}"


class SchedulerMark(models.Model):
    """Where the reminder scheduler's last pass stopped: its clock time and the committed
    change number it had read. The next pass looks only at what changed since that number and
    at the moments that fell between the two times (index lookups), instead of every task in
    the reminder window; a full pass (``full_at``) catches what no change number shows (a
    user's zone or shift edited) and runs after a gap or when the clock went back."""

    name = models.CharField(max_length=32, unique=True)
    ran_at = models.DateTimeField()
    full_at = models.DateTimeField()
    change_seq = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.ran_at}"
