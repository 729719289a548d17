"""A built map as the page the app serves, under a Content-Security-Policy without
`'unsafe-inline'` for scripts: each inline script folium writes carries the request's nonce.

folium writes two inline scripts: the Figure's closing `<script>` (every element's code) and
the Map's header switches (`L_NO_TOUCH`, `L_DISABLE_3D`). The nonce goes into the templates
that write them, never onto whatever `<script` text a page contains, so a script that reached
the page some other way still runs nowhere.
"""

from __future__ import annotations

import re

import folium
from branca.element import Figure
from folium.template import Template

from maps.markup import RawScript

# branca's Figure template with a nonce on its one inline script.
_FIGURE = Template(
    "<!DOCTYPE html>\n"
    '<html lang="{{ kwargs.language|e }}">\n'
    "<head>\n"
    "{% if kwargs.title %}<title>{{ kwargs.title|e }}</title>{% endif %}"
    "    {{this.header.render(**kwargs)}}\n"
    "</head>\n"
    "<body>\n"
    "    {{this.html.render(**kwargs)}}\n"
    "</body>\n"
    '<script nonce="{{ kwargs.nonce }}">\n'
    "    {{this.script.render(**kwargs)}}\n"
    "</script>\n"
    "</html>\n",
)
_NONCE = re.compile(r"[A-Za-z0-9+/=_-]+")  # base64 (django-csp's) or base64url


def page_html(m: folium.Map, *, nonce: str, language: str = "en", title: str = "") -> str:
    """The map's HTML page, its inline scripts marked with `nonce` (a CSP nonce-source),
    in `language` (its `lang`) and named `title` (a frame's document needs both to be read
    out right)."""
    if not _NONCE.fullmatch(nonce):
        raise ValueError("a CSP nonce is base64 text")
    figure = m.get_root()
    assert isinstance(figure, Figure)  # a Map's root is always its Figure
    for child in figure._children.values():  # what Figure.render does before its template
        child.render()
    # The Map's header macro (styles and the two global switches, no data) has its own
    # `<script>`; it is the Map's entry in the header, replaced with the nonce added.
    header = figure.header._children.get(m.get_name())
    if header is not None:
        text = header.render()
        nonced = text.replace("<script>", f'<script nonce="{nonce}">')
        figure.header.add_child(RawScript(nonced), name=m.get_name())
    kwargs = {"nonce": nonce, "language": language, "title": title or figure.title or ""}
    page: str = _FIGURE.render(this=figure, kwargs=kwargs)
    return page
