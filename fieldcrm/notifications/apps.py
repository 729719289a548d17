from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "fieldcrm.notifications"
    label = "notifications"
