"""Issue 20's legible layers, as built (the browser walk is tests/browser/test_map_legibility):
a legend that folds, says what each mark is and keeps names as data; cluster icons of our
own; the view on the accounts, else the shapes, else the caller's home; straight route lines
told apart from street ones."""

from __future__ import annotations

import json
import re

import folium
import pytest

from maps import RouteLine, RouteStop, TerritoryMapData, TerritoryShape, route_map, territory_map
from maps.controls import Legend
from tests.maps.conftest import MAP_KW, make_accounts, square


def walk(element):
    yield element
    for child in element._children.values():
        yield from walk(child)


def legend_of(m: folium.Map) -> Legend:
    return next(e for e in walk(m) if isinstance(e, Legend))


def fitted(m: folium.Map) -> list[list[float]]:
    page = m.get_root().render()
    return json.loads(re.search(r"fitBounds\(\s*(\[\[.*?\]\])", page, re.S).group(1))


def test_the_legend_folds_and_names_every_mark_on_the_map(territories):
    data = TerritoryMapData(accounts=make_accounts(20), territories=territories)
    m = territory_map(data, **MAP_KW)
    legend = legend_of(m)
    kinds = {item[2] if len(item) == 3 else "dot" for _t, items in legend.sections
             for item in items}  # fmt: skip
    assert {"dot", "cluster", "area"} <= kinds
    page = m.get_root().render()
    assert "fieldcrm-legend-toggle" in page and "aria-expanded" in page
    assert "max-block-size: 33vh" in page  # at most a third of the map's height
    # Leaflet.markercluster's size classes (green / yellow / orange) are not used.
    assert "marker-cluster-small" not in page and "fieldcrmClusterIcon" in page


@pytest.mark.parametrize("threshold", [5, 1000])  # both account paths
def test_cluster_icons_are_ours_on_both_account_paths(threshold):
    m = territory_map(TerritoryMapData(accounts=make_accounts(30)), fast_threshold=threshold,
                      **MAP_KW)  # fmt: skip
    page = m.get_root().render()
    assert page.count("function fieldcrmClusterIcon") == 1
    assert "marker-cluster-' + size" not in page and "marker-cluster-small" not in page


def test_a_rep_name_in_the_legend_is_data_not_markup():
    name = "</script><img src=x onerror=alert(1)>{{ 7*7 }}"
    shape = TerritoryShape(id="t", name="T", rep=name, region=None, geojson=square(2, 48, 1))
    m = territory_map(TerritoryMapData(territories=[shape]), **MAP_KW)
    page = m.get_root().render()
    assert "</script><img" not in page and "{{ 7*7 }}" not in page
    assert "textContent = item[0]" in page  # labels go in as text


def test_unknown_swatch_kind_is_refused():
    with pytest.raises(ValueError):
        Legend([("x", [("a", "#000", "triangle")])])


def test_the_view_fits_the_accounts_else_the_shapes_else_home(territories):
    accounts = make_accounts(10)  # inside 48-49 N, 2-3 E; the territories reach 49.5 N
    (south, west), (north, east) = fitted(territory_map(
        TerritoryMapData(accounts=accounts, territories=territories), **MAP_KW))  # fmt: skip
    assert north == max(a.lat for a in accounts) and south == min(a.lat for a in accounts)
    (south, _w), (north, _e) = fitted(territory_map(TerritoryMapData(territories=territories),
                                                   **MAP_KW))  # fmt: skip
    assert (south, north) == (48.0, 49.5)
    home = (42.5, 1.5, 42.6, 1.6)
    assert fitted(territory_map(TerritoryMapData(), home=home, **MAP_KW)) == [
        [42.5, 1.5], [42.6, 1.6]]  # fmt: skip
    assert fitted(route_map([], home=home, **MAP_KW)) == [[42.5, 1.5], [42.6, 1.6]]


def test_straight_route_lines_are_dashed_and_said_so():
    stops = [RouteStop(1, "A", 48.80, 2.30), RouteStop(2, "B", 48.81, 2.31)]
    straight = route_map([RouteLine(rep="ann", stops=stops)], **MAP_KW)
    lines = [e for e in walk(straight) if isinstance(e, folium.PolyLine)]
    assert lines[0].options["dashArray"] == "8 6"
    labels = [i[0] for _t, items in legend_of(straight).sections for i in items]
    assert "Straight lines: no street route was computed" in labels
    path = [(48.8, 2.3), (48.805, 2.31), (48.81, 2.31)]
    roads = route_map([RouteLine(rep="ann", stops=stops, path=path)], **MAP_KW)
    lines = [e for e in walk(roads) if isinstance(e, folium.PolyLine)]
    assert lines[0].options.get("dashArray") is None
    labels = [i[0] for _t, items in legend_of(roads).sections for i in items]
    assert "The route along the streets" in labels
    assert "Straight lines: no street route was computed" not in labels
