from django.contrib import admin

from fieldcrm.core.admin import SyncedAdmin
from fieldcrm.visits.models import Visit


@admin.register(Visit)
class VisitAdmin(SyncedAdmin):
    list_display = ("account", "rep", "status", "scheduled_on", "checked_in_at", "outcome")
    list_filter = ("status", "outcome", "rep")
    raw_id_fields = ("account",)
