from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "fieldcrm.territories"
    label = "territories"
