from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from fieldcrm.access import scoped
from fieldcrm.leads.models import WebForm, new_token


@admin.register(WebForm)
class WebFormAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "region", "default_owner", "created_at")
    list_filter = ("is_active", "region")
    search_fields = ("name",)
    autocomplete_fields = ("default_owner",)
    readonly_fields = ("endpoint", "token", "created_at")
    fields = (
        "name", "is_active", "region", "default_owner", "allowed_origins", "endpoint", "token",
        "created_at",
    )  # fmt: skip
    actions = ("rotate_token",)

    def get_queryset(self, request):
        return scoped(WebForm, request.user, queryset=super().get_queryset(request))

    @admin.display(description=_("endpoint"))
    def endpoint(self, obj: WebForm) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            "<code>POST /api/v1/leads/forms/{}</code><br>{}",
            obj.token,
            _(
                "Fields: name, company, email, phone, address, message; hidden honeypot: "
                "website_url (leave it empty)."
            ),
        )

    @admin.action(description=_("Rotate the token (the old URL stops working)"))
    def rotate_token(self, request, queryset):
        for form in queryset:
            form.token = new_token()
            form.save(update_fields=["token"])
