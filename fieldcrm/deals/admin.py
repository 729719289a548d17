from django.contrib import admin

from fieldcrm.deals.models import Deal, Pipeline, Stage


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    inlines = [StageInline]


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "stage", "amount", "currency", "expected_close_on")
    list_filter = ("pipeline", "stage")
    raw_id_fields = ("account",)
