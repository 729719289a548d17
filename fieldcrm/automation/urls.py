"""The workspace's settings pages (/crm/settings/...)."""

from django.urls import path

from fieldcrm.automation import views

app_name = "automation"

urlpatterns = [
    path("automation", views.rules, name="rules"),
    path("automation/from-template", views.rule_from_template, name="rule_from_template"),
    path("automation/<int:rule_id>", views.rule, name="rule"),
    path("automation/<int:rule_id>/edit", views.rule_edit, name="rule_edit"),
    path("webhooks", views.webhooks, name="webhooks"),
    path("webhooks/<int:webhook_id>", views.webhook, name="webhook"),
    path("webhooks/deliveries/<int:delivery_id>/replay", views.replay, name="replay"),
]
