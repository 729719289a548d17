"""``manage.py import_accounts FILE --user NAME [--dry-run] [--partial]``: the API's importer."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fieldcrm.access import NotAllowed
from fieldcrm.accounts import imports
from fieldcrm.users.models import User


class Command(BaseCommand):
    help = (
        "Import accounts from a CSV (UTF-8) or XLSX file, with the scope and rules of --user "
        "(a manager or an admin). All-or-nothing unless --partial."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", required=True, help="import as this manager or admin")
        parser.add_argument("--dry-run", action="store_true", help="report only; save nothing")
        parser.add_argument("--partial", action="store_true", help="save the good rows")

    def handle(self, *args, **options) -> None:
        actor = User.objects.filter(username=options["user"], is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {options['user']!r}.")
        path: Path = options["path"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            report = imports.account_import_file(
                actor=actor,
                data=data,
                filename=path.name,
                dry_run=options["dry_run"],
                partial=options["partial"],
            )
        except NotAllowed as exc:
            raise CommandError(str(exc)) from exc
        for warning in report.warnings:
            self.stdout.write(f"warning: {warning}")
        for p in report.errors:
            where = "file" if p.row is None else f"row {p.row}"
            self.stdout.write(f"{where}: {p.field}: {p.problem}")
        counts = ", ".join(f"{n} {k}" for k, n in report.counts.items())
        state = (
            "dry run, nothing saved"
            if report.dry_run
            else ("saved" if report.saved else "nothing saved")
        )
        self.stdout.write(f"{report.rows} rows: {counts} ({state})")
        if report.geocoded:
            found = ", ".join(f"{n} {k}" for k, n in sorted(report.geocoded.items()))
            self.stdout.write(f"located from their address: {found}")
        if report.status_code != 200:
            raise CommandError(f"{len(report.errors)} problem(s); nothing was saved.")
