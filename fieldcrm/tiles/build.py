"""Building vector tiles from OpenStreetMap extracts with tilemaker (a Debian package).

Every source is written into one MBTiles file (tilemaker's `--merge`), built beside the
output and renamed into place at the end, so a server reading the old file never sees a
half-written one. The schema (fieldcrm/tiles/tilemaker/) is a subset of the Protomaps
basemap layers, which protomaps-leaflet's built-in style draws as they are.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from fieldcrm.core.errors import DomainError

CONFIG_DIR = Path(__file__).resolve().parent / "tilemaker"
_PROGRESS = re.compile(r"writing tile (\d+) of (\d+)")
_MISSING_NODE = "Could not find node"


class _MissingNodes(Exception):
    pass


def _complete_copy(source: Path, dest: Path) -> None:
    """`source` without references to what it lacks: an extract cut by a bounding box
    (Helsinki's) has ways and relations pointing at nodes outside it, and tilemaker 2.2 stops
    at the first one in a relation even with --skip-integrity. Holds every node id in memory,
    so it is only the fallback for files that need it."""
    import osmium

    nodes = {node.id for node in osmium.FileProcessor(str(source), osmium.osm.NODE)}
    ways: set[int] = set()
    writer = osmium.SimpleWriter(str(dest), overwrite=True)
    try:
        for obj in osmium.FileProcessor(str(source)):
            if isinstance(obj, osmium.osm.Node):
                writer.add_node(obj)
            elif isinstance(obj, osmium.osm.Way):
                refs = [ref.ref for ref in obj.nodes if ref.ref in nodes]
                if len(refs) >= 2:
                    ways.add(obj.id)
                    writer.add_way(obj.replace(nodes=refs))
            elif isinstance(obj, osmium.osm.Relation):
                present = {"n": nodes, "w": ways}
                members = [(m.type, m.ref, m.role) for m in obj.members
                           if m.type not in present or m.ref in present[m.type]]  # fmt: skip
                writer.add_relation(obj.replace(members=members))
    finally:
        writer.close()


def tilemaker_path() -> str:
    """tilemaker's executable, or a DomainError saying how to install it."""
    found = shutil.which("tilemaker")
    if not found:
        raise DomainError("tilemaker", "tilemaker is not installed: apt-get install tilemaker")
    return found


def _run(command: list[str], progress: Callable[[int, int], None]) -> None:
    """Run tilemaker, reporting (tiles written, tiles in all) as it goes, and once at the end
    (its last progress line is often a tile short)."""
    # tilemaker redraws its progress line with carriage returns: read it in chunks.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    tail = ""
    output = []
    total = 0
    while chunk := process.stdout.read1(4096):  # type: ignore[attr-defined]
        output.append(chunk.decode("utf-8", "replace"))
        text = tail + output[-1]
        matches = list(_PROGRESS.finditer(text))
        if matches:
            total = int(matches[-1][2])
            progress(int(matches[-1][1]), total)
        tail = text[-40:]
    if process.wait() != 0:
        if _MISSING_NODE in "".join(output):
            raise _MissingNodes
        raise DomainError("tilemaker", "".join(output)[-2000:].replace("\r", "\n"))
    progress(total, total)


def tiles_build(
    *, sources: Sequence[Path], output: Path,
    progress: Callable[[Path, int, int], None] = lambda source, done, total: None,
) -> Path:  # fmt: skip
    """Build `output` (MBTiles) from `sources` (.osm.pbf); report tiles written per source."""
    if not sources:
        raise DomainError("sources", "name at least one .osm.pbf file")
    for source in sources:
        if not source.is_file():
            raise DomainError("sources", f"{source}: no such file")
    executable = tilemaker_path()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial.mbtiles")
    partial.unlink(missing_ok=True)
    complete = partial.with_name(f".{output.name}.{os.getpid()}.complete.osm.pbf")
    try:
        for index, source in enumerate(sources):
            command = [executable, "--input", str(source), "--output", str(partial),
                       "--config", str(CONFIG_DIR / "config.json"),
                       "--process", str(CONFIG_DIR / "process.lua"),
                       # Extracts cut by a bounding box (Helsinki's) hold ways whose nodes
                       # lie outside it; without this tilemaker stops at the first one.
                       "--skip-integrity"]  # fmt: skip
            if index:
                command.append("--merge")
            report = lambda done, total, source=source: progress(source, done, total)  # noqa: E731
            try:
                _run(command, report)
            except _MissingNodes:
                _complete_copy(source, complete)
                command[command.index(str(source))] = str(complete)
                _run(command, report)
        partial.replace(output)
    finally:
        complete.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
        partial.with_name(partial.name + "-journal").unlink(missing_ok=True)
    return output
