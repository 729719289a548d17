from __future__ import annotations

import re
from pathlib import Path

import folium
import pytest
from folium.plugins import Fullscreen, MarkerCluster

from maps import TerritoryMapData, assets_in, territory_map, to_standalone_html
from maps.assets import localize_assets, vendor_files
from tests.maps.conftest import TILE_URL, make_accounts

REPO = Path(__file__).resolve().parents[2]


def fake_static(root: Path) -> Path:
    """A static folder with every vendor file, so the test does not need `make assets`."""
    for rel in vendor_files():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".css"):
            path.write_text(".x{background:url(images/probe.png)}"
                            "@font-face{src:url(f.woff2) format('woff2'),"
                            "url(f.ttf) format('truetype')}")  # fmt: skip
            (path.parent / "images").mkdir(exist_ok=True)
            (path.parent / "images" / "probe.png").write_bytes(b"\x89PNG")
            (path.parent / "f.woff2").write_bytes(b"wOF2")
        else:
            path.write_text(f"/* {rel} */ var s = '</script>';")
    return root


def test_standalone_html_inlines_every_asset(tmp_path, map_kw):
    m = territory_map(TerritoryMapData(accounts=make_accounts(20)), draw=True, **map_kw)
    page = to_standalone_html(m, find_asset=assets_in(fake_static(tmp_path)))
    assert "<script src=" not in page and '<link rel="stylesheet"' not in page
    assert "/* vendor/leaflet/leaflet.js */" in page
    assert "data:image/png;base64," in page and "data:font/woff2;base64," in page
    assert ".ttf" not in page
    assert "var s = '<\\/script>'" in page
    assert set(re.findall(r"https?://[^\s\"'`)<>\\]+", page)) - {TILE_URL} == set()


def test_standalone_html_names_missing_assets(tmp_path, map_kw):
    m = territory_map(TerritoryMapData(accounts=make_accounts(2)), **map_kw)
    with pytest.raises(FileNotFoundError, match="make assets"):
        to_standalone_html(m, find_asset=assets_in(tmp_path))


def test_unknown_plugin_with_cdn_assets_is_refused():
    m = folium.Map(tiles=None)
    Fullscreen().add_to(m)
    with pytest.raises(ValueError, match="Fullscreen"):
        localize_assets(m, "/static/")


def test_localizing_does_not_leak_into_folium_class_defaults():
    localize_assets(folium.Map(tiles=None), "/static/")
    assert folium.Map.default_js[0][1].startswith("https://")
    assert MarkerCluster.default_js[0][1].startswith("https://")


@pytest.mark.skipif(not (REPO / "pwa/static/vendor").is_dir(), reason="run `make assets` first")
def test_every_linked_vendor_file_is_produced_by_vendor_mjs():
    missing = [rel for rel in vendor_files() if not (REPO / "pwa/static" / rel).is_file()]
    assert missing == []


def test_maps_is_told_where_its_assets_are_and_knows_no_repo_path():
    # The caller passes the static URL and a finder for the files (Django: staticfiles).
    for path in (REPO / "maps").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "__file__" not in text and "pwa" not in text and "node_modules" not in text, path


def test_standalone_html_needs_a_map_whose_assets_were_localized(tmp_path):
    with pytest.raises(ValueError, match="localize"):
        to_standalone_html(folium.Map(tiles=None), find_asset=assets_in(tmp_path))
