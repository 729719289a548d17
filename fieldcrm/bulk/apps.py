from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "fieldcrm.bulk"
    label = "bulk"
