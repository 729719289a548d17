"""Who changed what and when: one row per changed field of an audited record (accounts,
contacts, deals). Written by the services that save those records, in the same transaction,
so a change and its audit row commit together or not at all."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CREATED = "__created__"  # the field of the one row that says the record was created


class FieldChange(models.Model):
    record_type = models.CharField(_("record type"), max_length=16)
    record_id = models.CharField(_("record"), max_length=40)
    field = models.CharField(_("field"), max_length=64)
    old = models.JSONField(_("before"), null=True)
    new = models.JSONField(_("after"), null=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["record_type", "record_id", "at"], name="audit_record")]
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.record_type}:{self.record_id} {self.field}"
