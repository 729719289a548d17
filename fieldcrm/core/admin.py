"""Admin defaults shared by every app."""

from __future__ import annotations

from django.contrib.gis import admin
from django.contrib.gis.db import models as gis_models

from fieldcrm.core.admin_widgets import LocalOSMWidget


class MapAdmin(admin.GISModelAdmin):
    """Geometry fields edited on a map served entirely from our own static files."""

    gis_widget = LocalOSMWidget
    formfield_overrides = {}  # GISModelAdmin picks gis_widget for geometry fields.


class SyncedAdmin(MapAdmin):
    """Synced rows show their sync bookkeeping read-only."""

    readonly_fields = ("id", "version", "created_at", "updated_at", "deleted_at")

    def get_queryset(self, request):
        return self.model.all_objects.get_queryset()


__all__ = ["MapAdmin", "SyncedAdmin", "gis_models"]
