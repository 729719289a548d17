from django.contrib import admin

from fieldcrm.core.admin import SyncedAdmin
from fieldcrm.tasks.models import Task


@admin.register(Task)
class TaskAdmin(SyncedAdmin):
    list_display = ("title", "assignee", "account", "due_at", "done_at")
    list_filter = ("kind", "assignee")
    raw_id_fields = ("account",)
