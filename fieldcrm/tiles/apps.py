from django.apps import AppConfig


class TilesConfig(AppConfig):
    name = "fieldcrm.tiles"
    label = "tiles"
