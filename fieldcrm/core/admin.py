"""Admin defaults shared by every app."""

from __future__ import annotations

from django.contrib.gis import admin
from django.contrib.gis.db import models as gis_models
from django.forms.models import BaseInlineFormSet

from fieldcrm.core.admin_widgets import LocalOSMWidget
from fieldcrm.core.forms import label_widgets


class LabelledWidgetsAdmin(admin.ModelAdmin):
    """Every input of the change form has an accessible name: a widget of several inputs (a
    date and a time) names each one from the field's label (its ``<label>`` reaches only the
    first). The change page's script names the filter boxes' icons (admin-a11y.js)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class LabelledForm(form_class):  # type: ignore[valid-type, misc]
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                label_widgets(self, multi_only=True)

        LabelledForm.__name__ = form_class.__name__
        return LabelledForm

    class Media:
        js = ("core/admin-a11y.js",)


class MapAdmin(LabelledWidgetsAdmin, admin.GISModelAdmin):
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
    """An inline's "delete" box on a synced row soft-deletes it, like the API. Shown as a table
    (a tabular inline), each row's inputs are named by their column and row."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        label_widgets(form, None if index is None else index + 1)

    def delete_existing(self, obj, commit=True):
        if commit and obj.deleted_at is None:
            obj.soft_delete()


__all__ = ["LabelledWidgetsAdmin", "MapAdmin", "SyncedAdmin", "SyncedInlineFormSet", "gis_models"]
