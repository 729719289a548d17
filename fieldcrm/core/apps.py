from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "fieldcrm.core"
    label = "core"

    def ready(self) -> None:
        from fieldcrm.core.spatialite import repair_spatial_indexes

        post_migrate.connect(repair_spatial_indexes, dispatch_uid="repair_spatial_indexes")
