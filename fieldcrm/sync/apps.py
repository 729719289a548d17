from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "fieldcrm.sync"
    label = "sync"

    def ready(self) -> None:
        from fieldcrm.sync import signals

        signals.connect()
