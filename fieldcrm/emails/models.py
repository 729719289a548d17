"""E-mails to and from contacts (each one logged on its record's timeline) and the
suppression list (addresses never sent to again: unsubscribed, hard-bounced, opted out)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailDirection(models.TextChoices):
    OUTGOING = "out", _("Outgoing")
    INCOMING = "in", _("Incoming")


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Queued, then the address was suppressed before the worker got to it: never sent.
    SUPPRESSED = "suppressed", _("Not sent: address suppressed")
    BOUNCED = "bounced", _("Bounced")
    RECEIVED = "received", _("Received")
    # Received and matched to no record: waits on the review list.
    UNMATCHED = "unmatched", _("Not matched")


class Email(models.Model):
    """One message to one contact (outgoing), or one message received (incoming; BCC'd or a
    reply). ``message_id`` is unique: a message received twice is kept once."""

    Direction = EmailDirection
    Status = EmailStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE,
        related_name="emails", verbose_name=_("account"),
    )  # fmt: skip
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    # Its entry on the timeline (the phone syncs activities; this row stays on the server).
    activity = models.OneToOneField(
        "accounts.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="email"
    )
    # Outgoing: the worker's row that sends it once (notifications.Delivery, channel crm_mail).
    delivery = models.OneToOneField(
        "notifications.Delivery", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="email",
    )  # fmt: skip
    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    from_address = models.CharField(_("from"), max_length=254)
    to_address = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    # The footer's language (the sender's): the contact's own is not known.
    language = models.CharField(max_length=8, default=settings.LANGUAGE_CODE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    error = models.TextField(blank=True)
    # Sent with it (outgoing) or received with it and kept on the matched account (incoming).
    attachments = models.ManyToManyField(
        "attachments.Attachment", blank=True, related_name="emails", verbose_name=_("files")
    )
    # A received mail matched to no record keeps its bytes until someone files it (a new
    # lead from its sender): its attachments are stored then, not lost meanwhile.
    raw = models.FileField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("e-mail")

    def __str__(self) -> str:
        return f"{self.direction} {self.message_id}"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Hard bounce")
    MANUAL = "manual", _("Opted out (entered by hand)")


class Suppression(models.Model):
    """An address nothing is sent to while the entry stands (``lifted_at`` is None). Kept
    folded (trimmed, lower case) and once per address: suppressing again re-opens the row."""

    Reason = SuppressionReason

    address = models.CharField(_("address"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("since"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("suppressed address")

    def __str__(self) -> str:
        return self.address
