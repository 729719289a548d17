from django.apps import AppConfig


class GeocodingConfig(AppConfig):
    name = "fieldcrm.geocoding"
    label = "geocoding"
