from django.contrib import admin

from fieldcrm.core.admin import MapAdmin
from fieldcrm.plans.models import RoutePlan, RouteStop


class RouteStopInline(admin.TabularInline):
    model = RouteStop
    extra = 0
    raw_id_fields = ("account", "visit")


@admin.register(RoutePlan)
class RoutePlanAdmin(MapAdmin):
    list_display = ("rep", "date", "status", "distance_m", "drive_s")
    list_filter = ("status", "region", "date")
    inlines = [RouteStopInline]
