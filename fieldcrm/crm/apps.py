from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "fieldcrm.crm"
    label = "crm"
