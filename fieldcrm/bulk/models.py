"""One bulk change of accounts: who changed which field of which accounts, from what to what.

The row is the undo record too: ``items`` keeps every account's value before and after, so an
undo restores exactly what this change replaced (and only where nobody changed it since).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BulkChange(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="bulk_changes",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    # The field's name in fieldcrm.bulk.fields (owner, status, tier); values are its JSON form.
    field = models.CharField(_("field"), max_length=32)
    value = models.JSONField(_("new value"), null=True, blank=True)
    # [{"id": account id, "name": ..., "from": ..., "to": ...}] for every account changed.
    items = models.JSONField(_("changes"), default=list)
    # [{"id", "name", "reason"}]: accounts of the request left as they were, and why.
    refused = models.JSONField(_("refused"), default=list, blank=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    # [{"id", "name", "reason"}]: accounts the undo did not restore (changed since, ...).
    undo_skipped = models.JSONField(_("not undone"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "-id"])]

    def __str__(self) -> str:
        return f"bulk change {self.pk} of {self.field} ({len(self.items)} accounts)"
