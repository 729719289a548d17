"""manage.py build_geocoder REGION.osm.pbf [...]: the embedded geocoder's address index."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fieldcrm.core.errors import DomainError
from fieldcrm.geocoding.index import geocoder_build


class Command(BaseCommand):
    help = (
        "Build the address index (house numbers, streets, places) of the embedded geocoder "
        "from OpenStreetMap extracts (.osm.pbf, e.g. from download.geofabrik.de) into "
        "FIELDCRM_GEOCODER_FILE. Replaces the file: name every region you want."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sources", nargs="+", type=Path, metavar="PATH.osm.pbf")
        parser.add_argument("--output", type=Path, default=None,
                            help="the index file (default: FIELDCRM_GEOCODER_FILE)")  # fmt: skip

    def handle(self, *args: object, sources: list[Path], output: Path | None,
               **options: object) -> None:  # fmt: skip
        output = output or Path(settings.FIELDCRM_GEOCODER_FILE)
        verbosity = int(options.get("verbosity", 1))  # type: ignore[call-overload]
        started = time.monotonic()

        def progress(step: str, done: int, total: int) -> None:
            if verbosity and step != "done":
                what = "writing the index" if step == "index" else f"reading {step}"
                self.stdout.write(
                    f"[{done + 1}/{total}] {what} ({time.monotonic() - started:.1f} s)"
                )

        try:
            counts = geocoder_build(sources=sources, output=output, progress=progress)
        except DomainError as error:
            raise CommandError(error.message) from error
        if verbosity:
            size = output.stat().st_size / 1e6
            found = ", ".join(f"{n:,} {k}" for k, n in counts.items())
            self.stdout.write(
                f"Wrote {output} ({size:.1f} MB: {found}) in {time.monotonic() - started:.1f} s"
            )
