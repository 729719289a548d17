"""Inbound integrations: a PBX posting call events, a messenger posting messages (and taking
our replies at its outbound URL). Each has its own secret; every event and message is kept
once per its id, so a repeated post changes nothing."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_secret() -> str:
    """32 random bytes, URL-safe: the HMAC key the PBX or messenger signs its posts with."""
    return secrets.token_urlsafe(32)


class IntegrationKind(models.TextChoices):
    PBX = "pbx", _("Telephone system (PBX)")
    MESSENGER = "messenger", _("Messenger")


class Integration(models.Model):
    """A PBX or a messenger gateway that posts to /api/v1/integrations/<id>/calls or …/messages.

    The secret is stored as is, not hashed: checking an HMAC needs the key itself (as for our
    outbound webhooks' secrets). The page shows it once, when made or rotated."""

    Kind = IntegrationKind

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    reply_url = models.URLField(
        _("outbound reply URL"), max_length=500, blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Messengers: where our replies are POSTed (signed with the secret)."),
    )  # fmt: skip
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner of new leads"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    secret_rotated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("integration")

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        # Stored data, so not translated: reports and filters match on it.
        return f"{self.kind}: {self.name}"[:120]


class Extension(models.Model):
    """A PBX extension (or a user's direct number) and the user who answers on it."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="extensions"
    )
    number = models.CharField(_("extension or number"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "number"], name="one_user_per_extension")
        ]

    def __str__(self) -> str:
        return self.number


class CallDirection(models.TextChoices):
    INBOUND = "in", _("Incoming")
    OUTBOUND = "out", _("Outgoing")


class CallState(models.TextChoices):
    """In the order a call goes through them; a call only moves forward."""

    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    ENDED = "ended", _("Ended")


STATE_ORDER = {CallState.RINGING: 0, CallState.ANSWERED: 1, CallState.ENDED: 2}


class Call(models.Model):
    """One call as its PBX told us, whatever order its events came in: the account its outside
    number matches (or none: an unknown caller, offered as a lead) and its one timeline entry,
    written when it ended."""

    Direction = CallDirection
    State = CallState

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="calls")
    call_id = models.CharField(_("call id"), max_length=100)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    caller = models.CharField(_("caller"), max_length=40)
    callee = models.CharField(_("callee"), max_length=40)
    # The outside party's number (the caller of an incoming call, the callee of an outgoing).
    number = models.CharField(_("number"), max_length=40)
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    state = models.CharField(_("state"), max_length=8, choices=State.choices)
    started_at = models.DateTimeField(_("started"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration_s = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=1000, blank=True)
    activity = models.OneToOneField(
        "accounts.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="call"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-started_at", "-created_at"]
        verbose_name = _("call")
        constraints = [
            models.UniqueConstraint(fields=["integration", "call_id"], name="one_call_per_id")
        ]
        indexes = [models.Index(fields=["account", "started_at"], name="call_account")]

    def __str__(self) -> str:
        return f"{self.call_id} {self.number}"


class CallEvent(models.Model):
    """One event as received, kept once per its id: the same event again is answered with the
    stored result and changes nothing."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=100)
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=8, choices=CallState.choices)
    digest = models.CharField(max_length=64)  # SHA-256 of call id + kind: a reused id is spotted
    result = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "event_id"], name="one_call_event")
        ]

    def __str__(self) -> str:
        return self.event_id


class Message(models.Model):
    """A messenger message, in (posted by the gateway) or out (a reply from an account's page,
    sent once through the notifications worker to the integration's reply URL)."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Incoming")
        OUTBOUND = "out", _("Outgoing")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # The gateway's id of an incoming message (unique per integration); empty for ours.
    message_id = models.CharField(max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=40)
    # The outside party: their number or the messenger's user id.
    sender = models.CharField(_("sender"), max_length=100)
    sender_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    activity = models.OneToOneField(
        "accounts.Activity", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="message",
    )  # fmt: skip
    delivery = models.OneToOneField(
        "notifications.Delivery", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="message",
    )  # fmt: skip
    made_lead = models.BooleanField(default=False)
    digest = models.CharField(max_length=64, blank=True)  # an incoming one's sender + text
    result = models.JSONField(default=dict, blank=True)  # the answer a repeat gets again
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("messenger message")
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "message_id"], condition=~models.Q(message_id=""),
                name="one_message_per_id",
            )
        ]  # fmt: skip
        indexes = [models.Index(fields=["account", "created_at"], name="message_account")]

    def __str__(self) -> str:
        return f"{self.direction} {self.message_id or self.pk}"
