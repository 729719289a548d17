from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "fieldcrm.search"
    label = "search"

    def ready(self) -> None:
        # The index follows every save and delete of the records it holds (signals.py).
        from fieldcrm.search import signals  # noqa: F401
