"""User data on the maps stays data: names, notes and reasons never become markup in a popup,
tooltip or layer name (the layer control inserts names as HTML), never leave their script
string, and are never evaluated as Jinja on the server (branca compiles each element's
rendered script as a template). Every string field of every map dataclass gets the payload."""

from __future__ import annotations

import html
import json
import re

import folium
import pytest

from maps import (
    AccountPoint,
    RegionShape,
    RouteLine,
    RouteStop,
    TerritoryMapData,
    TerritoryShape,
    UnassignedVisit,
    page_html,
    route_map,
    territory_map,
)
from maps.markup import esc, js_json
from tests.maps.conftest import make_accounts, square

# HTML, attribute, template-literal and Jinja break-outs in one string. "ssti" appears in the
# page only if the server evaluated the Jinja expression.
EVIL = (
    "<img src=x onerror=alert(1)>\"'</script>`${alert(2)}`\\"
    "{{ 'ss' ~ 'ti' }}{% if 1 %}{# c #}{% endif %}"
)
SCRIPT = re.compile(r"<script\b([^>]*)>")
JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def walk(element):
    yield element
    for child in element._children.values():
        yield from walk(child)


def layer_names(m: folium.Map) -> list[str]:
    return [
        e.layer_name
        for e in walk(m)
        if isinstance(e, folium.map.Layer) and e.control and not isinstance(e, folium.TileLayer)
    ]


def evil_territory_data(n_extra: int) -> TerritoryMapData:
    accounts = [
        AccountPoint(id=EVIL, name=EVIL, lat=48.5, lng=2.5, status="lead", territory=EVIL,
                     rep=EVIL, days_since_visit=3, frequency_days=30, url="/a/?q=" + EVIL),
        *make_accounts(n_extra),
    ]  # fmt: skip
    territories = [
        TerritoryShape(id=EVIL, name=EVIL, rep=EVIL, region=EVIL, geojson=square(2.0, 48.0, 1.0),
                       account_counts={EVIL: 1}),
    ]  # fmt: skip
    regions = [RegionShape(id=EVIL, name=EVIL, geojson=square(1.9, 47.9, 1.5))]
    return TerritoryMapData(accounts=accounts, territories=territories, regions=regions)


def evil_routes() -> tuple[list[RouteLine], list[UnassignedVisit]]:
    stop = RouteStop(seq=1, name=EVIL, lat=48.5, lng=2.5, eta=EVIL, url="/a/?q=" + EVIL)
    routes = [RouteLine(rep=EVIL, stops=[stop, RouteStop(2, EVIL, 48.6, 2.6)])]
    unassigned = [UnassignedVisit(name=EVIL, lat=48.7, lng=2.7, reason=EVIL, id=EVIL)]
    return routes, unassigned


def assert_inert(page: str) -> None:
    assert "ssti" not in page, "a name was evaluated as Jinja on the server"
    assert "<img" not in page
    # Inside a double-quoted JSON string `${` is text; anywhere else it could be a template
    # literal's substitution.
    assert "${alert(2)}" not in JSON_STRING.sub('""', page)
    assert "</script>`" not in page
    # Only our own templates write script elements: the links, and the inline ones folium has.
    assert all("src=" in attrs or "nonce=" in attrs or attrs == "" for attrs in
               SCRIPT.findall(page))  # fmt: skip


@pytest.mark.parametrize("n_extra", [3, 30], ids=["folium-markers", "shared-array"])
def test_territory_map_keeps_every_user_field_inert(map_kw, n_extra):
    m = territory_map(evil_territory_data(n_extra), draw=True, fast_threshold=10, **map_kw)
    assert_inert(m.get_root().render())


def test_route_map_keeps_every_user_field_inert(map_kw):
    routes, unassigned = evil_routes()
    assert_inert(route_map(routes, unassigned, **map_kw).get_root().render())


def test_route_layer_names_are_html_escaped_for_the_layer_control(map_kw):
    routes, unassigned = evil_routes()
    names = layer_names(route_map(routes, unassigned, **map_kw))
    assert esc(EVIL) in names
    # Leaflet's control sets the name as innerHTML: what a planner reads is the name itself.
    assert html.unescape(esc(EVIL)) == EVIL
    for name in names:
        assert not re.search(r"[<>`{}$\\]", name), name


@pytest.mark.parametrize("n_extra", [3, 30], ids=["folium-markers", "shared-array"])
def test_territory_layer_names_are_html_escaped(map_kw, n_extra):
    def evil_gettext(text: str) -> str:
        return f"{text}<b>{{{{ 'ss' ~ 'ti' }}}}"

    m = territory_map(evil_territory_data(n_extra), gettext=evil_gettext, fast_threshold=10,
                      **map_kw)  # fmt: skip
    names = layer_names(m)
    assert len(names) >= 5
    for name in names:
        assert "<" not in name and "{" not in name, name
    assert "ssti" not in m.get_root().render()


def test_popup_and_tooltip_show_the_name_as_text(map_kw):
    routes, _unassigned = evil_routes()
    page = route_map(routes, **map_kw).get_root().render()
    assert esc(EVIL) in page  # in the popup and tooltip HTML, decoded by the browser to EVIL


def test_js_json_round_trips_and_writes_no_jinja_delimiter():
    value = {"a": [EVIL, {"b": "{{x}}{%y%}{#z#}"}], "{{k}}": {}}
    text = js_json(value)
    assert json.loads(text) == value
    assert not re.search(r"\{[{%#]|</", text)


def test_esc_neutralises_html_template_literals_and_jinja():
    out = esc(EVIL)
    assert not re.search(r"[<>\"'`{}$\\]", out)
    assert html.unescape(out) == EVIL


def test_page_html_puts_the_nonce_on_every_inline_script(map_kw):
    routes, unassigned = evil_routes()
    page = page_html(route_map(routes, unassigned, **map_kw), nonce="n0Nce+/=")
    tags = SCRIPT.findall(page)
    inline = [attrs for attrs in tags if "src=" not in attrs]
    assert len(inline) >= 2  # the Map's switches and the Figure's code
    assert all(attrs == ' nonce="n0Nce+/="' for attrs in inline), inline
    assert_inert(page)


def test_page_html_refuses_a_nonce_that_is_not_base64(map_kw):
    with pytest.raises(ValueError):
        page_html(route_map([], **map_kw), nonce='x" onload="alert(1)')


def test_page_html_is_folium_s_page_but_for_the_nonce(map_kw):
    # Our copy of branca's Figure template must follow it when folium or branca change.
    # Each build names its elements afresh, and rendering a map twice repeats parts of it.
    routes, unassigned = evil_routes()
    ours = page_html(route_map(routes, unassigned, **map_kw), nonce="abc")
    theirs = route_map(routes, unassigned, **map_kw).get_root().render()
    names = re.compile(r"_[0-9a-f]{32}")
    # And for the document's language (a frame's document is read out in it, issue 21).
    ours = ours.replace(' nonce="abc"', "").replace('<html lang="en">', "<html>")
    assert names.sub("_", ours) == names.sub("_", theirs)
