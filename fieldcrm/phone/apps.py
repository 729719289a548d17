from django.apps import AppConfig


class PhoneConfig(AppConfig):
    name = "fieldcrm.phone"
    label = "phone"
