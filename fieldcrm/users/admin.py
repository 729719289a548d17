from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.admin import MapAdmin
from fieldcrm.users.models import User


@admin.register(User)
class UserAdmin(MapAdmin, BaseUserAdmin):
    list_display = ("username", "role", "is_active")
    list_filter = ("role", "regions", "is_active")
    filter_horizontal = (*BaseUserAdmin.filter_horizontal, "regions")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("Field work"),
            {
                "fields": (
                    "role",
                    "regions",
                    "home_base",
                    ("shift_start", "shift_end"),
                    ("break_start", "break_end", "break_minutes"),
                    "working_days",
                    "max_visits_per_day",
                )
            },
        ),
    )
