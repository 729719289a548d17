"""Putting text into a page safely, and the gettext hook every layer takes.

Account, territory and rep names are user data, and Leaflet tooltips, popups, layer names (the
layer control sets them as innerHTML) and folium's GeoJsonTooltip insert HTML: folium-built
content is escaped with `esc`, data placed in a script goes through `js_json`, and the big-map
path builds its popups with `textContent` in the browser.

Both also neutralise Jinja's delimiters (`{{`, `{%`, `{#`): branca's MacroElement.render wraps
each element's rendered script in `Element(text)`, which compiles that text as a Jinja template
on the server, so a name like `{{ 7*7 }}` was evaluated there (and could reach module globals).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

from branca.element import Element

Gettext = Callable[[str], str]

# In JSON text a `{` followed by `{`, `%` or `#` can only be inside a string (an object opens
# with `{"` or `{}`), so escaping exactly those keeps the structure and breaks every delimiter.
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def identity(text: str) -> str:
    """Default gettext: no translation."""
    return text


def js_json(value: Any) -> str:
    """JSON safe to place inside a <script> element (no `</script>`, no U+2028 breaks, no
    Jinja delimiter)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(raw, escaped)
    return _JINJA_OPEN.sub(r"\\u007b", text)


def esc(text: str) -> str:
    """HTML-escape, and also neutralise backtick, `$` and backslash: folium places popup and
    tooltip HTML inside JavaScript template literals, where `${...}` would run as code; and
    braces, which the server would otherwise read as Jinja (see the module docstring)."""
    text = html.escape(text, quote=True)
    for raw, entity in (("`", "&#96;"), ("$", "&#36;"), ("\\", "&#92;"),
                        ("{", "&#123;"), ("}", "&#125;")):  # fmt: skip
        text = text.replace(raw, entity)
    return text


class RawScript(Element):
    """Text added to the page as is, never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawScript"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text
