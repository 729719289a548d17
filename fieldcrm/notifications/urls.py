"""Notification pages (/notifications/...)."""

from django.urls import path

from fieldcrm.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list_page, name="list"),
    path("read-all", views.notification_read_all, name="read_all"),
    path("settings", views.notification_settings_page, name="settings"),
    path("calendar", views.notification_calendar, name="calendar"),
    path("<uuid:notification_id>/open", views.notification_open, name="open"),
    path("unsubscribe/<str:token>", views.notification_unsubscribe, name="unsubscribe"),
]
