from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "fieldcrm.deals"
    label = "deals"
