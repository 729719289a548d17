"""Rebuild fieldcrm/data/demo/demo.json.gz from OpenStreetMap extracts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from fieldcrm.demo import osm as demo_osm
from fieldcrm.demo.load import DEMO_FILE


class Command(BaseCommand):
    help = "Derive the committed demo data set from the OSM extracts (a developer's task)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--osm-dir", default=str(Path(settings.BASE_DIR).parent / "shared/data/osm")
        )
        parser.add_argument("--out", default=str(DEMO_FILE))

    def handle(self, *args, osm_dir: str, out: str, **options) -> None:
        data = demo_osm.build(Path(osm_dir))
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        # mtime=0 keeps the gzip bytes identical across rebuilds.
        Path(out).write_bytes(gzip.compress(payload.encode(), mtime=0))
        self.stdout.write(
            f"{len(data['regions'])} regions, {len(data['accounts'])} accounts -> {out}"
        )
