from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from fieldcrm.core.admin import MapAdmin
from fieldcrm.users.forms import AdminLoginForm
from fieldcrm.users.models import User
from fieldcrm.users.services import user_revoke_access

# /admin/login/ goes through the one login throttle, as /login/ and the API do.
admin.site.login_form = AdminLoginForm
_admin_login = admin.site.login


def _throttled_admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    response = _admin_login(request, extra_context)
    form = (getattr(response, "context_data", None) or {}).get("form")
    if isinstance(form, AdminLoginForm) and form.is_bound and form.is_locked_out:
        response.status_code = 429
    return response


admin.site.login = _throttled_admin_login  # type: ignore[method-assign]


@admin.register(User)
class UserAdmin(MapAdmin, BaseUserAdmin):
    list_display = ("username", "role", "is_active")
    actions = ["revoke_access"]
    readonly_fields = ("password_changed_at", "access_revoked_at")
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
        (_("Access"), {"fields": ("password_changed_at", "access_revoked_at")}),
    )

    @admin.action(description=_("Revoke sessions and tokens (lost phone, leaving)"))
    def revoke_access(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = [u for u in queryset if u.pk != request.user.pk]
        for user in users:
            user_revoke_access(user=user)
        message = ngettext(
            "Access revoked for %(n)d user: their phone wipes its data when it next connects.",
            "Access revoked for %(n)d users: their phones wipe their data when they next connect.",
            len(users),
        )
        self.message_user(request, message % {"n": len(users)}, messages.SUCCESS)
