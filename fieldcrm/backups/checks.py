"""Deploy checks of the backups app: a production installation with scheduled backups on must
have the passphrase they are sealed with, or every night's backup would be skipped unseen."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def backup_passphrase_check(**_: Any) -> list[Warning]:
    if (
        settings.PRODUCTION
        and settings.FIELDCRM_BACKUP_AT
        and not settings.FIELDCRM_BACKUP_PASSPHRASE
    ):
        return [
            Warning(
                "Scheduled backups are on without FIELDCRM_BACKUP_PASSPHRASE: none is written.",
                hint="Set FIELDCRM_BACKUP_PASSPHRASE, or FIELDCRM_BACKUP_AT=off.",
                id="fieldcrm.W001",
            )
        ]
    return []
