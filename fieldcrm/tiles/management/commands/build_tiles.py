"""manage.py build_tiles REGION.osm.pbf [...]: the app's vector tiles for your own regions."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fieldcrm.core.errors import DomainError
from fieldcrm.tiles.build import tiles_build


class Command(BaseCommand):
    help = (
        "Build vector tiles (streets, names, water, parks, buildings) from OpenStreetMap "
        "extracts (.osm.pbf, e.g. from download.geofabrik.de) into FIELDCRM_TILES_FILE, "
        "which every map then draws. Replaces the file: name every region you want."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sources", nargs="+", type=Path, metavar="PATH.osm.pbf")
        parser.add_argument("--output", type=Path, default=None,
                            help="the MBTiles file (default: FIELDCRM_TILES_FILE)")  # fmt: skip

    def handle(self, *args: object, sources: list[Path], output: Path | None,
               **options: object) -> None:  # fmt: skip
        output = output or Path(settings.FIELDCRM_TILES_FILE)
        verbosity = int(options.get("verbosity", 1))  # type: ignore[call-overload]
        started = time.monotonic()
        shown: dict[Path, int] = {}

        def progress(source: Path, done: int, total: int) -> None:
            percent = 100 * done // max(total, 1)
            if verbosity and (shown.get(source, -10) + 10 <= percent or done == total):
                shown[source] = percent
                self.stdout.write(f"{source.name}: {done}/{total} tiles ({percent}%)")

        try:
            tiles_build(sources=sources, output=output, progress=progress)
        except DomainError as error:
            raise CommandError(error.message) from error
        if verbosity:
            size = output.stat().st_size / 1e6
            self.stdout.write(
                f"Wrote {output} ({size:.1f} MB) in {time.monotonic() - started:.0f} s"
            )
