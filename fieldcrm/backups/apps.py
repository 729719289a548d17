from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    name = "fieldcrm.backups"
    verbose_name = _("Backups")

    def ready(self) -> None:
        from fieldcrm.backups import checks  # noqa: F401  (registers the deploy check)
