from django.apps import AppConfig


class ManagerConfig(AppConfig):
    name = "fieldcrm.manager"
    label = "manager"
