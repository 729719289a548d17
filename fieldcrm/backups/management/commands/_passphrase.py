"""Where the backup commands take the passphrase from: a file, the environment, or the terminal."""

from __future__ import annotations

import getpass
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError


def passphrase(path: str | None, *, confirm: bool) -> str:
    if path:
        value = Path(path).read_text().strip()
    elif settings.FIELDCRM_BACKUP_PASSPHRASE:
        value = settings.FIELDCRM_BACKUP_PASSPHRASE
    else:
        value = getpass.getpass("Backup passphrase: ")
        if confirm and getpass.getpass("Again: ") != value:
            raise CommandError("the two passphrases differ")
    if not value:
        raise CommandError(
            "a passphrase is required (--passphrase-file or FIELDCRM_BACKUP_PASSPHRASE)"
        )
    return value
