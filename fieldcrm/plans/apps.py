from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "fieldcrm.plans"
    label = "plans"
