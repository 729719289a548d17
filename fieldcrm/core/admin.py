"""Admin defaults shared by every app."""

from __future__ import annotations

from django.contrib.gis import admin
from django.contrib.gis.db import models as gis_models
from django.forms.models import BaseInlineFormSet

from fieldcrm.core.admin_widgets import LocalOSMWidget


class MapAdmin(admin.GISModelAdmin):
    """Geometry fields edited on a map served entirely from our own static files."""

    gis_widget = LocalOSMWidget
    formfield_overrides = {}  # GISModelAdmin picks gis_widget for geometry fields.


class SyncedAdmin(MapAdmin):
    """Synced rows show their sync bookkeeping read-only, and deleting one leaves the same
    tombstone as the API (phones learn of it from the next pull), one row or a selection."""

    readonly_fields = ("id", "version", "created_at", "updated_at", "deleted_at")

    def get_queryset(self, request):
        return self.model.all_objects.get_queryset()

    def delete_model(self, request, obj):
        if obj.deleted_at is None:
            obj.soft_delete()

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class SyncedInlineFormSet(BaseInlineFormSet):
    """An inline's "delete" box on a synced row soft-deletes it, like the API."""

    def delete_existing(self, obj, commit=True):
        if commit and obj.deleted_at is None:
            obj.soft_delete()


__all__ = ["MapAdmin", "SyncedAdmin", "SyncedInlineFormSet", "gis_models"]
