from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "fieldcrm.leads"
    label = "leads"
