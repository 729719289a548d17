from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "fieldcrm.orders"
    label = "orders"
