from django.contrib import admin

from fieldcrm.core.admin import MapAdmin
from fieldcrm.territories import services
from fieldcrm.territories.models import Region, Territory


@admin.register(Region)
class RegionAdmin(MapAdmin):
    list_display = ("name", "manager", "timezone")

    def save_model(self, request, obj, form, change):
        services.region_save(region=obj)


@admin.register(Territory)
class TerritoryAdmin(MapAdmin):
    list_display = ("name", "region")
    list_filter = ("region",)
    filter_horizontal = ("reps",)

    def save_model(self, request, obj, form, change):
        # Re-assigning accounts after a boundary move is a service rule, not the form's.
        services.territory_save(territory=obj)

    def delete_model(self, request, obj):
        services.territory_delete(territory=obj)
