"""Base model for the records phones create and edit offline."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LiveManager(models.Manager):
    """Hides soft-deleted rows; sync and admin use ``all_objects`` to see tombstones."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SyncedModel(models.Model):
    """A row a phone may create offline.

    The primary key is a UUID the client may generate, so a retried push is a no-op rather
    than a duplicate. ``version`` grows by one on every save: an edit made on an old copy is
    detectable. Deletion is soft, so the deletion itself can reach every device.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)

    objects = LiveManager()
    all_objects = models.Manager()  # noqa: DJ012 - objects must stay the default manager

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            self.version += 1
        self.updated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "version", "updated_at"}
        super().save(*args, **kwargs)

    def soft_delete(self) -> None:
        """Mark deleted; the row stays as a tombstone for sync."""
        self.deleted_at = timezone.now()
        self.save(update_fields=["deleted_at"])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
