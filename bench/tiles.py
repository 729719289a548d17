"""The app's own vector tiles (issue 20): time to serve one street-zoom tile, and a whole map
view of them, from the running app over HTTP.

Run: .venv/bin/python bench/tiles.py [--smoke] [--rounds N]

Reads FIELDCRM_TILES_FILE (`make tiles` builds it from the committed extracts). A threaded
WSGI server on 127.0.0.1 serves the whole Django app (every middleware), and the client asks
for every street-zoom tile (z12-z14) of the file, N rounds, each on a fresh connection, then
for map views: the 4 x 3 block of z14 tiles a 1280 x 900 laptop map at zoom 15 draws
(protomaps-leaflet shows data zoom 14 at display zoom 15), fetched one after the other (a
browser fetches six at once, so this is an upper bound). Aim (issue 20): a tile < 20 ms p95,
a view < 300 ms.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds = 1 if args.smoke else args.rounds

    import django

    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    path = Path(settings.FIELDCRM_TILES_FILE)
    if not path.exists():
        sys.exit(f"{path} is missing: run `make tiles`")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT zoom_level, tile_column, tile_row FROM tiles WHERE zoom_level >= 12"
        ).fetchall()
    tiles = [(z, x, (1 << z) - 1 - row) for z, x, row in rows]

    server = make_server("127.0.0.1", 0, get_wsgi_application(), _Server, _Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    def fetch(z: int, x: int, y: int) -> float:
        started = time.perf_counter()
        with urllib.request.urlopen(f"{base}/tiles/{z}/{x}/{y}.mvt") as response:
            response.read()
        return (time.perf_counter() - started) * 1000

    fetch(*tiles[0])  # warm up: the first request imports the URLconf and opens the file
    times = [fetch(*tile) for _ in range(rounds) for tile in tiles]
    z14 = {(x, y) for z, x, y in tiles if z == 14}
    views = []
    for x, y in sorted(z14)[:: max(1, len(z14) // 20)]:
        block = [(14, x + dx, y + dy) for dx in range(4) for dy in range(3)]
        started = time.perf_counter()
        for tile in block:
            fetch(*tile)
        views.append((time.perf_counter() - started) * 1000)
    server.shutdown()
    size = path.stat().st_size / 1e6
    print(f"{path.name}: {size:.1f} MB, {len(rows)} tiles at z12-z14, {rounds} round(s)")
    print(f"tile: median {statistics.median(times):.1f} ms, p95 {_p(times, 0.95):.1f} ms, "
          f"max {max(times):.1f} ms over {len(times)} requests (aim: p95 < 20 ms)")  # fmt: skip
    print(f"map view (12 z14 tiles one after the other): median {statistics.median(views):.0f} ms,"
          f" max {max(views):.0f} ms over {len(views)} views (aim: < 300 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
