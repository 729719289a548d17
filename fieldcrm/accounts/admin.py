from django.contrib import admin

from fieldcrm.accounts import services
from fieldcrm.accounts.models import Account, Activity, Contact, CustomFieldDefinition, Tag
from fieldcrm.core.admin import SyncedAdmin, SyncedInlineFormSet


class ContactInline(admin.TabularInline):
    model = Contact
    formset = SyncedInlineFormSet
    extra = 0
    fields = ("name", "role", "phone", "email", "is_primary")


@admin.register(Account)
class AccountAdmin(SyncedAdmin):
    list_display = ("name", "status", "tier", "territory", "owner", "updated_at")
    list_filter = ("status", "tier", "territory__region", "territory")
    search_fields = ("name", "address", "external_id")
    autocomplete_fields = ("owner",)
    readonly_fields = (*SyncedAdmin.readonly_fields, "territory")  # type: ignore[assignment]
    filter_horizontal = ("tags",)
    inlines = [ContactInline]

    def save_model(self, request, obj, form, change):
        services.account_save(account=obj, actor=request.user)

    def delete_model(self, request, obj):
        services.account_delete(account=obj, actor=request.user)


@admin.register(Activity)
class ActivityAdmin(SyncedAdmin):
    list_display = ("occurred_at", "kind", "account", "actor", "subject")
    list_filter = ("kind",)
    raw_id_fields = ("account", "contact", "visit", "deal")


@admin.register(Contact)
class ContactAdmin(SyncedAdmin):
    list_display = ("name", "account", "role", "phone", "email")
    search_fields = ("name", "email")
    raw_id_fields = ("account",)


admin.site.register(CustomFieldDefinition)
admin.site.register(Tag, search_fields=("name",))
