"""Files attached to an account, a deal, an order (or quote) or a visit. The bytes live in
Django's storage (the filesystem under FIELDCRM_MEDIA_DIR by default, any storage backend in
production) under a name the server makes up; the row keeps the uploader's file name, the
type the server decided from the content, and the size."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordType(models.TextChoices):
    ACCOUNT = "account", _("account")
    DEAL = "deal", _("deal")
    ORDER = "order", _("order")
    VISIT = "visit", _("visit")


class Attachment(models.Model):
    """One file on one record. ``account`` is always the record's account (the record itself
    for an account), so a record's files are scoped like the record (access.py)."""

    RecordType = RecordType

    record_type = models.CharField(_("record type"), max_length=8, choices=RecordType.choices)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="attachments"
    )
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.CASCADE,
        related_name="attachments",
    )  # fmt: skip
    visit = models.ForeignKey(
        "visits.Visit", null=True, blank=True, on_delete=models.CASCADE,
        related_name="attachments",
    )  # fmt: skip
    file = models.FileField(_("file"), max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("attachment")
        constraints = [
            # Exactly the record its type names (an account's own files name no other record).
            models.CheckConstraint(
                name="attachment_one_record",
                condition=(
                    models.Q(
                        record_type="account",
                        deal__isnull=True,
                        order__isnull=True,
                        visit__isnull=True,
                    )
                    | models.Q(
                        record_type="deal",
                        deal__isnull=False,
                        order__isnull=True,
                        visit__isnull=True,
                    )
                    | models.Q(
                        record_type="order",
                        order__isnull=False,
                        deal__isnull=True,
                        visit__isnull=True,
                    )
                    | models.Q(
                        record_type="visit",
                        visit__isnull=False,
                        deal__isnull=True,
                        order__isnull=True,
                    )
                ),
            ),  # fmt: skip
        ]
        indexes = [models.Index(fields=["account", "record_type"], name="attachment_account")]

    def __str__(self) -> str:
        return self.name


class PhotoKind(models.TextChoices):
    SHELF = "shelf", _("shelf")
    DISPLAY = "display", _("display")
    DAMAGE = "damage", _("damage")


class PhotoUpload(models.Model):
    """A visit's photo arriving in parts (resumable: the phone asks the server's offset and
    sends only what is missing). The parts are appended to ``file``; the last one checks the
    size, the SHA-256 and the upload rules, and the photo becomes an Attachment on the visit.
    It is its uploader's alone (404 to everyone else, like a missing one)."""

    Kind = PhotoKind

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    visit = models.ForeignKey("visits.Visit", on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=PhotoKind.choices)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    received = models.PositiveBigIntegerField(default=0)
    file = models.FileField(max_length=200, blank=True)
    attachment = models.OneToOneField(
        Attachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="photo"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo upload")
        constraints = [
            # One upload per photo: the phone's retry of the create answers the same upload.
            models.UniqueConstraint(
                fields=["visit", "uploaded_by", "sha256"], name="photo_upload_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"
