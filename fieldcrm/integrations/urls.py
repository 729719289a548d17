"""The integrations' workspace pages (mounted below /crm/)."""

from django.urls import path

from fieldcrm.integrations import views

app_name = "integration_pages"

urlpatterns = [
    path("calls/unknown", views.unknown_callers, name="unknown_callers"),
    path("calls/<uuid:call_id>/lead", views.make_lead, name="make_lead"),
    path("accounts/<uuid:account_id>/reply", views.reply, name="reply"),
]
