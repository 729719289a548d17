from django.contrib import admin

from fieldcrm.core.admin import MapAdmin, SyncedAdmin
from fieldcrm.visits.models import RoutePlan, RouteStop, Visit


@admin.register(Visit)
class VisitAdmin(SyncedAdmin):
    list_display = ("account", "rep", "status", "scheduled_on", "checked_in_at", "outcome")
    list_filter = ("status", "outcome", "rep")
    raw_id_fields = ("account",)


class RouteStopInline(admin.TabularInline):
    model = RouteStop
    extra = 0
    raw_id_fields = ("account", "visit")


@admin.register(RoutePlan)
class RoutePlanAdmin(MapAdmin):
    list_display = ("rep", "date", "status", "distance_m", "drive_s")
    list_filter = ("status", "region", "date")
    inlines = [RouteStopInline]
