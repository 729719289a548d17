"""Putting text into a page safely, and the gettext hook every layer takes.

Account, territory and rep names are user data, and Leaflet tooltips, popups and folium's
GeoJsonTooltip insert HTML: folium-built content is escaped with `esc`, data placed in a
script goes through `js_json`, and the big-map path builds its popups with `textContent` in
the browser.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

from branca.element import Element

Gettext = Callable[[str], str]


def identity(text: str) -> str:
    """Default gettext: no translation."""
    return text


def js_json(value: Any) -> str:
    """JSON safe to place inside a <script> element (no `</script>`, no U+2028 breaks)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(raw, escaped)
    return text


def esc(text: str) -> str:
    """HTML-escape, and also neutralise backtick, `$` and backslash: folium places popup and
    tooltip HTML inside JavaScript template literals, where `${...}` would run as code."""
    text = html.escape(text, quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


class RawScript(Element):
    """Text added to the page as is, never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawScript"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text
