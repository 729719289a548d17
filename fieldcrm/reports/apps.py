from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fieldcrm.reports"
    label = "reports"
