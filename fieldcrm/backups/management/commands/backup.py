"""manage.py backup [--verify] [--keep N] [--output DIR] [--passphrase-file F]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fieldcrm.backups import archive, services, snapshot
from fieldcrm.backups.management.commands._passphrase import passphrase


class Command(BaseCommand):
    help = "Write an encrypted archive of the database and the installation's keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="folder for the archive (FIELDCRM_BACKUP_DIR)")
        parser.add_argument("--passphrase-file", help="read the passphrase from this file")
        parser.add_argument(
            "--verify",
            action="store_true",
            help="then restore it into a scratch database and compare counts",
        )
        parser.add_argument("--keep", type=int, help="then keep only the newest N archives")

    def handle(self, *args: Any, **options: Any) -> None:
        secret = passphrase(options["passphrase_file"], confirm=True)
        output = Path(options["output"]) if options["output"] else None
        say = self.stdout.write
        try:
            path = services.backup_create(passphrase=secret, directory=output, progress=say)
            if options["verify"]:
                services.backup_verify(path=path, passphrase=secret, progress=say)
        except (archive.ArchiveError, snapshot.SnapshotError) as exc:
            raise CommandError(str(exc)) from exc
        if options["keep"]:
            for gone in services.backup_prune(keep=options["keep"], directory=path.parent):
                say(f"removed {gone.name}")
        say(self.style.SUCCESS(str(path)))
