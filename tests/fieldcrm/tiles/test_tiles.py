"""The app's own vector tiles: served per tile from the MBTiles file, built by build_tiles,
and the default base layer of every map (fieldcrm/core/tiles.py)."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from fieldcrm.core.tiles import OWN_TILE_URL, map_tiles
from tests.fieldcrm.core.test_csp import client_for, directives

REPO = Path(__file__).resolve().parents[3]
HELSINKI = REPO / "fieldcrm/data/osm/helsinki_centre.osm.pbf"
TILE = gzip.compress(b"\x1a\x05fake!")  # any bytes: the view does not parse tiles


def make_mbtiles(path: Path, tiles: dict[tuple[int, int, int], bytes]) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                   "tile_row INTEGER, tile_data BLOB)")  # fmt: skip
        for (z, x, y), data in tiles.items():
            db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, data))
    return path


@pytest.fixture
def tiles_file(tmp_path, settings):
    settings.FIELDCRM_TILES_FILE = make_mbtiles(tmp_path / "t.mbtiles", {(14, 8261, 6050): TILE})
    return settings.FIELDCRM_TILES_FILE


def test_a_tile_is_served_as_gzipped_mvt_to_anyone(tiles_file):
    response = Client().get("/tiles/14/8261/6050.mvt")  # XYZ rows, stored as TMS
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert response["Content-Encoding"] == "gzip"
    assert response.content == TILE
    assert "public" in response["Cache-Control"]


def test_a_tile_outside_the_extracts_is_empty_not_an_error_page(tiles_file):
    response = Client().get("/tiles/14/0/0.mvt")
    assert (response.status_code, response.content) == (204, b"")


@pytest.mark.parametrize("path", ["/tiles/3/8/0.mvt", "/tiles/3/0/8.mvt", "/tiles/23/0/0.mvt"])
def test_coordinates_outside_the_grid_are_not_found(tiles_file, path):
    assert Client().get(path).status_code == 404


def test_no_tiles_file_means_empty_tiles(settings, tmp_path):
    settings.FIELDCRM_TILES_FILE = tmp_path / "missing.mbtiles"
    assert Client().get("/tiles/14/8261/6050.mvt").status_code == 204


def test_a_rebuilt_file_is_served_from_the_next_tile_on(tiles_file, tmp_path):
    assert Client().get("/tiles/14/8261/6050.mvt").status_code == 200
    new = make_mbtiles(tmp_path / "new.mbtiles", {(14, 1, 1): TILE})
    new.replace(tiles_file)  # as build_tiles does
    assert Client().get("/tiles/14/8261/6050.mvt").status_code == 204
    assert Client().get("/tiles/14/1/1.mvt").status_code == 200


def test_our_own_vector_tiles_are_the_default_and_a_tile_server_replaces_them(settings):
    settings.FIELDCRM_TILE_URL = ""
    assert map_tiles().url == OWN_TILE_URL and map_tiles().vector
    settings.FIELDCRM_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert not map_tiles().vector
    settings.FIELDCRM_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.pbf"
    assert map_tiles().vector


def test_pages_may_fetch_an_external_vector_tile_server_but_not_a_raster_one(world, settings):
    settings.FIELDCRM_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.mvt"
    assert (
        "https://tiles.example.org"
        in directives(client_for(world.rep1).get("/app/"))["connect-src"]
    )
    settings.FIELDCRM_TILE_URL = ""
    assert directives(client_for(world.rep1).get("/app/"))["connect-src"] == ["'self'"]


def test_every_map_page_draws_our_vector_tiles_by_default(world, settings):
    settings.FIELDCRM_TILE_URL = ""
    frame = client_for(world.manager).get("/manager/map/frame").content.decode()
    assert "protomapsL.leafletLayer" in frame and "/tiles/{z}/{x}/{y}.mvt" in frame
    assert "vendor/protomaps-leaflet/protomaps-leaflet.js" in frame
    shell = client_for(world.rep1).get("/app/").content.decode()
    assert '"tileVector": true' in shell and '"tileUrl": "/tiles/{z}/{x}/{y}.mvt"' in shell


@pytest.mark.skipif(not shutil.which("tilemaker"), reason="tilemaker is not installed")
def test_build_tiles_builds_a_region_with_progress(tmp_path, capsys):
    output = tmp_path / "helsinki.mbtiles"
    # Helsinki's extract is cut by a bounding box: built through the cleaning fallback.
    call_command("build_tiles", str(HELSINKI), "--output", str(output))
    out = capsys.readouterr().out
    assert "helsinki_centre.osm.pbf: " in out and "tiles (100%)" in out and "Wrote" in out
    with sqlite3.connect(output) as db:
        zooms = dict(db.execute("SELECT zoom_level, count(*) FROM tiles GROUP BY zoom_level"))
    assert zooms[14] >= 4 and min(zooms) == 0
    assert not list(tmp_path.glob(".*"))  # no partial file left behind


def test_build_tiles_names_a_missing_extract(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("build_tiles", str(tmp_path / "nowhere.osm.pbf"))


def _records(body: bytes) -> list[tuple[tuple[int, int, int], bytes]]:
    import struct

    out, at = [], 0
    while at < len(body):
        z, x, y, n = struct.unpack_from(">BIII", body, at)
        at += 13
        out.append(((z, x, y), body[at : at + n]))
        at += n
    return out


def test_a_bundle_holds_a_box_of_tiles_row_by_row_uncompressed_in_one_gzipped_answer(
    tmp_path, settings
):
    settings.FIELDCRM_TILES_FILE = make_mbtiles(
        tmp_path / "b.mbtiles",
        {(14, 8261, 6050): TILE, (14, 8262, 6051): gzip.compress(b"second"),
         (13, 4130, 3025): gzip.compress(b"other zoom")},
    )  # fmt: skip
    response = Client().get("/tiles/bundle?z=14&x0=8261&x1=8262&y0=6050&y1=6051")
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert _records(gzip.decompress(response.content)) == [
        ((14, 8261, 6050), b"\x1a\x05fake!"), ((14, 8261, 6051), b""),
        ((14, 8262, 6050), b""), ((14, 8262, 6051), b"second"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("z=14&x0=1&x1=2&y0=1", "y1"),  # missing
        ("z=14&x0=a&x1=2&y0=1&y1=2", "z"),  # not integers
        ("z=23&x0=0&x1=0&y0=0&y1=0", "z"),
        ("z=3&x0=2&x1=1&y0=0&y1=0", "x0"),  # reversed
        ("z=3&x0=0&x1=8&y0=0&y1=0", "x0"),  # off the grid
        ("z=14&x0=0&x1=15&y0=0&y1=15", "x1"),  # 256 tiles: more than a bundle holds
    ],
)
def test_a_bad_bundle_box_is_a_400_naming_the_field(tiles_file, query, field):
    response = Client().get(f"/tiles/bundle?{query}")
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_the_phone_fills_its_area_from_bundles_of_our_own_tiles_only(settings):
    from fieldcrm.phone.views import shell_context

    settings.FIELDCRM_TILE_URL = ""
    assert shell_context()["config"]["tileBundleUrl"] == "/tiles/bundle"
    settings.FIELDCRM_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.mvt"
    assert shell_context()["config"]["tileBundleUrl"] is None  # asked tile by tile
