from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fieldcrm.core"
    label = "core"
