"""The integrations' settings pages (mounted below /crm/settings/)."""

from django.urls import path

from fieldcrm.integrations import views

app_name = "integrations"

urlpatterns = [
    path("integrations", views.integrations, name="integrations"),
    path("integrations/<int:integration_id>", views.integration, name="integration"),
]
