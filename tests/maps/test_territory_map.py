from __future__ import annotations

import re

import folium
import pytest
from folium.plugins import Draw, MarkerCluster

from maps import (
    FAST_CLUSTER_THRESHOLD,
    AccountPoint,
    TerritoryMapData,
    coverage_class,
    rep_colors,
    territory_map,
)
from maps.clusters import AccountCluster, AccountData
from maps.controls import Legend
from maps.heat import SharedHeatMap
from maps.style import STATUS_COLORS
from tests.maps.conftest import STATIC_URL, TILE_URL, make_accounts

URL = re.compile(r"https?://[^\s\"'`)<>\\]+")


def walk(element):
    yield element
    for child in element._children.values():
        yield from walk(child)


def layer_names(m: folium.Map) -> set[str]:
    return {e.layer_name for e in walk(m) if isinstance(e, folium.map.Layer)}


def external_urls(page: str) -> set[str]:
    return set(URL.findall(page)) - {TILE_URL}


def build(accounts, territories=(), regions=(), **kw):
    data = TerritoryMapData(accounts=accounts, territories=territories, regions=regions)
    return territory_map(data, **kw)


def test_territory_map_has_every_layer(map_kw, territories, regions):
    m = build(make_accounts(30), territories, regions, **map_kw)
    assert {"Regions", "Territories", "Leads", "Prospects", "Customers", "Coverage",
            "Prospect density"} <= layer_names(m)  # fmt: skip
    assert any(isinstance(e, folium.LayerControl) for e in walk(m))
    assert any(isinstance(e, Legend) for e in walk(m))
    assert "fitBounds" in m.get_root().render()


def test_small_map_counts_markers_per_status(map_kw):
    accounts = make_accounts(31)
    m = build(accounts, **map_kw)
    clusters = {e.layer_name: e for e in walk(m) if isinstance(e, MarkerCluster)}
    for status, label in [("lead", "Leads"), ("prospect", "Prospects"), ("customer", "Customers")]:
        markers = [c for c in clusters[label]._children.values()
                   if isinstance(c, folium.CircleMarker)]  # fmt: skip
        assert len(markers) == sum(a.status == status for a in accounts)
        assert {mk.options["fillColor"] for mk in markers} == {STATUS_COLORS[status]}
    coverage = list(clusters["Coverage"]._children.values())
    assert len(coverage) == len(accounts)


def test_territories_coloured_per_rep(map_kw, territories):
    m = build([], territories, **map_kw)
    colors = rep_colors(["ann", "bob"])
    assert colors["ann"] != colors["bob"]
    page = m.get_root().render()
    for color in colors.values():
        assert f'"fillColor": "{color}"' in page
    # Tooltip lists rep and the account counts.
    assert "Leads: 2, Customers: 1" in page or "Customers: 1, Leads: 2" in page


def test_rep_colors_are_stable_and_order_free():
    assert rep_colors(["b", "a", None, "a"]) == rep_colors(["a", "b"])
    assert len(set(rep_colors([f"r{i}" for i in range(12)]).values())) == 12


@pytest.mark.parametrize("n", [50, FAST_CLUSTER_THRESHOLD + 1])
def test_rendered_html_has_no_url_but_the_tiles(map_kw, territories, regions, n):
    m = build(make_accounts(n), territories, regions, draw=True, **map_kw)
    page = m.get_root().render()
    assert TILE_URL in page
    assert external_urls(page) == set()
    # Every script and stylesheet comes from our static files.
    for ref in re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', page):
        assert ref.startswith(STATIC_URL + "vendor/"), ref
    assert "fonts.googleapis" not in page


def test_cluster_switch_at_threshold(map_kw):
    at = build(make_accounts(10), fast_threshold=10, **map_kw)
    assert not any(isinstance(e, AccountData) for e in walk(at))
    assert any(isinstance(e, folium.CircleMarker) for e in walk(at))

    above = build(make_accounts(11), fast_threshold=10, **map_kw)
    data = [e for e in walk(above) if isinstance(e, AccountData)]
    assert len(data) == 1 and data[0].count == 11
    assert not any(isinstance(e, folium.CircleMarker) for e in walk(above))
    clusters = [e for e in walk(above) if isinstance(e, AccountCluster)]
    assert {c.layer_name for c in clusters} == {"Leads", "Prospects", "Customers", "Coverage"}
    assert any(isinstance(e, SharedHeatMap) for e in walk(above))


def test_hundred_thousand_accounts_render(map_kw, territories):
    # Timing lives in bench/maps_territory.py; here only that it renders, once.
    accounts = make_accounts(100_000)
    page = build(accounts, territories, **map_kw).get_root().render()
    assert page.count("Account 99999") == 1
    assert external_urls(page) == set()


def test_names_cannot_break_out_of_html_or_script(map_kw):
    evil = "</script><img src=x onerror=alert(1)>`${alert(2)}`"
    accounts = [AccountPoint(id="x", name=evil, lat=48.5, lng=2.5, status="lead")]
    # Small path: folium puts popups in JavaScript template literals, so `${` must not survive.
    small = build(accounts + make_accounts(3), fast_threshold=10, **map_kw).get_root().render()
    assert "</script><img" not in small and "${alert(2)}" not in small
    # Big path: the name is a JSON string inside <script>; popups use textContent.
    big = build(accounts + make_accounts(30), fast_threshold=10, **map_kw).get_root().render()
    assert "</script><img" not in big
    assert "\\u003c/script\\u003e\\u003cimg" in big


def test_gettext_reaches_layers_and_legend(map_kw, territories):
    def upper(text: str) -> str:
        return text.upper()

    m = build(make_accounts(5), territories, gettext=upper, draw=True, **map_kw)
    assert {"TERRITORIES", "LEADS", "COVERAGE", "PROSPECT DENSITY"} <= layer_names(m)
    page = m.get_root().render()
    assert "ACCOUNT STATUS" in page and "NEVER VISITED" in page and "SELECT AN AREA" in page


def test_legend_is_direction_neutral(map_kw):
    page = build(make_accounts(5), **map_kw).get_root().render()
    legend_css = page[page.index(".fieldcrm-legend") :]
    legend_css = legend_css[: legend_css.index("</style>")]
    assert "text-align: start" in legend_css
    assert not re.search(r"\b(left|right)\s*:|float|text-align:\s*(left|right)", legend_css)


def test_draw_control_posts_the_shape_to_the_page(map_kw):
    m = build(make_accounts(5), draw=True, **map_kw)
    assert any(isinstance(e, Draw) for e in walk(m))
    page = m.get_root().render()
    assert "fieldcrmOnDraw" in page and "fieldcrm:draw" in page
    assert "fieldcrmOnDraw" not in build(make_accounts(5), **map_kw).get_root().render()


@pytest.mark.parametrize(
    ("days", "freq", "expected"),
    [(None, None, "no_target"), (3, None, "no_target"), (None, 30, "never"), (30, 30, "ok"),
     (31, 30, "overdue"), (60, 30, "overdue"), (61, 30, "late")],
)  # fmt: skip
def test_coverage_class(days, freq, expected):
    assert coverage_class(days, freq) == expected


def test_account_point_rejects_bad_input():
    with pytest.raises(ValueError):
        AccountPoint(id="1", name="x", lat=91, lng=0, status="lead")
    with pytest.raises(ValueError):
        AccountPoint(id="1", name="x", lat=0, lng=0, status="client")  # type: ignore[arg-type]
