from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "fieldcrm.demo"
    label = "demo"
