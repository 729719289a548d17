from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "fieldcrm.users"
    label = "users"
