from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fieldcrm.accounts"
    label = "accounts"
