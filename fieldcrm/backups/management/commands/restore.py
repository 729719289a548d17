"""manage.py restore ARCHIVE [--force] [--check] [--passphrase-file F]
manage.py restore --recovered   (after a point-in-time recovery: README)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fieldcrm.backups import archive, services, snapshot
from fieldcrm.backups.management.commands._passphrase import passphrase


class Command(BaseCommand):
    help = "Restore an archive made by `backup` into this (empty) installation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", nargs="?")
        parser.add_argument(
            "--recovered",
            action="store_true",
            help="the database was brought back without an archive (point-in-time recovery):"
            " start a new sync epoch, revoke sessions and tokens",
        )
        parser.add_argument("--passphrase-file", help="read the passphrase from this file")
        parser.add_argument("--force", action="store_true",
                            help="replace an installation that holds data")  # fmt: skip
        parser.add_argument("--check", action="store_true",
                            help="only verify it in a scratch database")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        if options["recovered"]:
            if options["archive"]:
                raise CommandError("--recovered takes no archive")
            services.after_recovery(progress=self.stdout.write)
            self.stdout.write(self.style.SUCCESS("Done. Start the app's processes."))
            return
        if not options["archive"]:
            raise CommandError("name the archive to restore (or --recovered)")
        path = Path(options["archive"])
        if not path.is_file():
            raise CommandError(f"no such archive: {path}")
        secret = passphrase(options["passphrase_file"], confirm=False)
        say = self.stdout.write
        try:
            if options["check"]:
                services.backup_verify(path=path, passphrase=secret, progress=say)
                return
            services.backup_restore(
                path=path, passphrase=secret, force=options["force"], progress=say
            )
        except (archive.ArchiveError, snapshot.SnapshotError, services.BackupRefused) as exc:
            raise CommandError(str(exc)) from exc
        say(
            self.style.SUCCESS(
                "Restored. Restart the app's processes so they read the restored keys."
            )
        )
