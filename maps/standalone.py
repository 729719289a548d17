"""A built map as one self-contained HTML file, for download.

The caller says where the static files are: `find_asset` takes a path relative to the map's
static URL (``vendor/leaflet/leaflet.js``) and returns the file, or None. The Django side
passes ``django.contrib.staticfiles.finders.find``; scripts and tests pass `assets_in(folder)`.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
from collections.abc import Callable
from pathlib import Path

import folium

from maps.assets import static_url_of

AssetFinder = Callable[[str], "str | os.PathLike[str] | None"]

_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^)'\"]+)\1\s*\)")
# Font Awesome lists a .ttf fallback after each .woff2; every browser that runs Leaflet reads
# woff2, so the fallbacks would only double the file.
_TTF_FALLBACK = re.compile(r",\s*url\([^)]*\.ttf\)\s*format\([\"']truetype[\"']\)")


def assets_in(folder: Path) -> AssetFinder:
    """A finder for static files laid out under one folder as they are under the static URL."""

    def find(path: str) -> Path | None:
        candidate = folder / path
        return candidate if candidate.is_file() else None

    return find


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".woff2":
        mime = "font/woff2"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(path: Path) -> str:
    text = _TTF_FALLBACK.sub("", path.read_text(encoding="utf-8"))

    def replace(match: re.Match[str]) -> str:
        ref = match.group(2)
        if ref.startswith(("data:", "#")):
            return match.group(0)
        target = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
        return f'url("{_data_uri(target)}")' if target.is_file() else match.group(0)

    return _CSS_URL.sub(replace, text).replace("</style", "<\\/style")


def to_standalone_html(m: folium.Map, *, find_asset: AssetFinder) -> str:
    """The map as one self-contained HTML file for download: every local script and
    stylesheet is inlined (images and fonts in CSS become data: URIs), so the file opens
    offline with no CDN and no server. Only the tiles are fetched, from the tile URL.

    Raises FileNotFoundError naming a linked file `find_asset` does not find."""
    static_url = static_url_of(m)
    page = m.get_root().render()

    def local(url: str) -> Path:
        relative = url[len(static_url) :]
        found = find_asset(relative)
        if found is None:
            raise FileNotFoundError(
                f"static file {relative} (linked as {url}) not found: "
                "are the vendor files installed (`make assets`)?"
            )
        return Path(found)

    prefix = re.escape(static_url)

    def script(match: re.Match[str]) -> str:
        code = local(match.group(1)).read_text(encoding="utf-8")
        # A literal "</script" inside the code would end the element early.
        return "<script>" + code.replace("</script", "<\\/script") + "</script>"

    def style(match: re.Match[str]) -> str:
        return "<style>" + _inline_css(local(match.group(1))) + "</style>"

    page = re.sub(rf'<script src="({prefix}[^"]+)"></script>', script, page)
    return re.sub(rf'<link rel="stylesheet" href="({prefix}[^"]+)"/>', style, page)
