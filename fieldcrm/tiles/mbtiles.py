"""Reading one tile out of an MBTiles file (SQLite), the way the tile view serves them.

MBTiles rather than PMTiles: Debian's tilemaker (2.2) writes MBTiles, and a tile is then one
indexed SELECT, addressed by its own URL, which the phone's service worker caches per tile
like any other response (PMTiles' range requests would need its decoder in every page and
the worker). Connections are opened read-only, one per thread, and reopened when the file is
replaced (a rebuild renames a new file into place).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

_local = threading.local()


def _connection(path: Path) -> sqlite3.Connection | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    key = (str(path), stat.st_ino, stat.st_mtime_ns)
    cached = getattr(_local, "connections", {})
    if key not in cached:
        for old in cached.values():
            old.close()
        cached = {key: sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)}
        _local.connections = cached
    return cached[key]


def tile_read(path: Path, z: int, x: int, y: int) -> bytes | None:
    """The tile's stored bytes (gzip-compressed MVT), or None when there is none."""
    connection = _connection(path)
    if connection is None:
        return None
    row = connection.execute(
        "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
        (z, x, (1 << z) - 1 - y),  # MBTiles rows count from the south (TMS)
    ).fetchone()
    return bytes(row[0]) if row else None


def tiles_metadata(path: Path) -> dict[str, str]:
    """The file's metadata table (name, bounds, minzoom, maxzoom, attribution…)."""
    connection = _connection(path)
    if connection is None:
        return {}
    return dict(connection.execute("SELECT name, value FROM metadata").fetchall())


def tiles_read_box(
    path: Path, z: int, x0: int, x1: int, y0: int, y1: int
) -> dict[tuple[int, int], bytes]:
    """The stored tiles of zoom ``z`` in columns x0..x1 and (XYZ) rows y0..y1, in one query."""
    connection = _connection(path)
    if connection is None:
        return {}
    n = 1 << z
    rows = connection.execute(
        "SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level=? "
        "AND tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?",
        (z, x0, x1, n - 1 - y1, n - 1 - y0),
    ).fetchall()
    return {(x, n - 1 - row): bytes(data) for x, row, data in rows}
