from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "fieldcrm.visits"
    label = "visits"
