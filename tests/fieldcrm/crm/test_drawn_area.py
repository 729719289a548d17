"""The accounts list's "inside a drawn area" filter (issue 16): the area's checks at the form
(each refusal named ``area``), the same accounts inside on SpatiaLite and PostGIS, the caller's
scope applied first, and a segment keeping its area wherever segments are applied."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from fieldcrm.crm.area import MAX_AREA_TEXT, decode_ring, encode_ring
from fieldcrm.crm.forms import AccountFilterForm
from fieldcrm.crm.models import Segment
from fieldcrm.crm.segments import segment_accounts
from fieldcrm.crm.selectors import account_table_queryset
from fieldcrm.manager.forms import MapFilterForm
from fieldcrm.manager.selectors import map_accounts
from tests.factories import make_account
from tests.fieldcrm.crm.test_crm_pages import client_for, names, shops  # noqa: F401 (fixture)


def ring(*corners: tuple[float, float]) -> str:
    """The encoded, closed ring of (lng, lat) corners."""
    return encode_ring([*corners, corners[0]])


def box(west: float, south: float, east: float, north: float) -> str:
    return ring((west, south), (east, south), (east, north), (west, north))


# Territory A is lng 1.0-1.1 (rep1), B 1.1-1.2 (rep2), both lat 42.0-42.1 (tests/conftest.py).
WEST_HALF = box(1.0, 42.0, 1.1, 42.1)
# An L: the west half and a strip along the south of the east half (concave: not its box).
ELL = ring((1.0, 42.0), (1.2, 42.0), (1.2, 42.03), (1.1, 42.03), (1.1, 42.1), (1.0, 42.1))


@pytest.fixture
def dataset(world, shops):  # noqa: F811
    """shops (Alpha 1.05, Beta 1.06, Gamma 1.15 at lat 42.05; Delta in the South) and a few
    more: one in the L's foot, one on the west half's edge, one without a location."""
    foot = make_account("Foot stall", lng=1.15, lat=42.01, owner=world.rep2)
    edge = make_account("Edge cafe", lng=1.1, lat=42.05, owner=world.rep1)
    nowhere = make_account("Nowhere inn", lng=None, owner=world.rep1)
    return {**shops, "foot": foot, "edge": edge, "nowhere": nowhere}


def test_encoding_round_trips_and_reads_the_reference_example():
    # Google's documented example polyline (lat, lng pairs).
    assert decode_ring("_p~iF~ps|U_ulLnnqC_mqNvxq`@") == [
        (-120.2, 38.5), (-120.95, 40.7), (-126.453, 43.252),
    ]  # fmt: skip
    corners = [(106.70098, 10.77689), (-0.12345, -51.5), (106.70098, 10.77689)]
    assert decode_ring(encode_ring(corners)) == corners


def _area_errors(text: str, actor) -> list[str]:
    form = AccountFilterForm({"area": text}, actor=actor)
    assert not form.is_valid()
    assert list(form.errors) == ["area"], form.errors
    return form.errors["area"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not a polyline ✓", "not an area"),
        ("_p~iF~ps|U_ulLnnqC_mqNvxq`", "not an area"),  # cut mid-number
        ("_p~iF~ps|U_ulL", "not an area"),  # a latitude without its longitude
        (encode_ring([(1.0, 42.0), (1.1, 42.0), (1.1, 42.1)]), "closed ring"),
        (ring((1.0, 42.0), (1.1, 42.0)), "3 to 500 corners"),
        (ring(*[(1 + i / 1000, 42 + (i % 2) / 1000) for i in range(501)]), "3 to 500 corners"),
        (ring((1.0, 42.0), (181.0, 42.0), (1.0, 43.0)), "off the map"),
        (ring((1.0, 89.0), (2.0, 91.0), (3.0, 89.0)), "off the map"),
        (ring((1.0, 42.0), (1.1, 42.1), (1.1, 42.0), (1.0, 42.1)), "cross"),  # a bow tie
        (ring((1.0, 42.0), (1.1, 42.0), (1.2, 42.0)), "cross"),  # no surface
        ("?" * (MAX_AREA_TEXT + 1), "too long"),
    ],
)  # fmt: skip
def test_a_bad_area_is_refused_naming_area(world, text, says):
    errors = _area_errors(text, world.rep1)
    assert says in errors[0], errors


def test_a_bad_area_is_shown_on_the_list_and_left_out(world, dataset):
    response = client_for(world, "rep1").get("/crm/accounts/", {"area": "nonsense"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This is not an area" in html
    # Left out, like any invalid filter of the list: never narrowed to a wrong guess.
    assert names(response) == ["Alpha bakery", "Beta kiosk", "Edge cafe", "Nowhere inn"]


@pytest.mark.parametrize(
    ("area", "expected"),
    [
        (WEST_HALF, ["Alpha bakery", "Beta kiosk"]),  # the edge's cafe is on it, not inside
        (ELL, ["Alpha bakery", "Beta kiosk", "Foot stall"]),  # not Gamma: outside the L
        (box(1.055, 42.04, 1.2, 42.06), ["Beta kiosk", "Edge cafe", "Gamma shop"]),
        (box(1.0, 41.0, 1.2, 41.1), ["Delta south"]),
        (box(-10, -10, -9, -9), []),
    ],
)  # fmt: skip
def test_the_accounts_inside_are_the_same_on_both_databases(world, dataset, area, expected):
    form = AccountFilterForm({"area": area}, actor=world.admin)
    assert form.is_valid(), form.errors
    inside = account_table_queryset(actor=world.admin, filters=form.filters())
    assert sorted(inside.values_list("name", flat=True)) == expected


def test_scope_first_a_rep_drawing_around_others_accounts_sees_none(world, dataset):
    east = box(1.1, 41.0, 1.2, 42.1)  # territory B (rep2's) and the South's east
    form = AccountFilterForm({"area": east}, actor=world.rep1)
    assert form.is_valid()
    assert list(account_table_queryset(actor=world.rep1, filters=form.filters())) == []
    assert names(client_for(world, "rep1").get("/crm/accounts/", {"area": east})) == []
    assert names(client_for(world, "rep2").get("/crm/accounts/", {"area": east})) == [
        "Foot stall", "Gamma shop",
    ]  # fmt: skip


def test_a_segment_keeps_its_area_for_the_list_the_api_and_the_export(world, dataset, as_user):
    client = client_for(world, "manager")
    query = urlencode({"area": ELL, "status": ["customer", "prospect"]}, doseq=True)
    response = client.post(reverse("crm:segment_save"), {"name": "L", "query": query})
    assert response.status_code == 302, response.content[:300]
    segment = Segment.objects.get(name="L")
    assert segment.query["area"] == [ELL]
    ids = sorted(str(pk) for pk in segment_accounts(actor=world.manager, segment_id=segment.pk)
                 .values_list("pk", flat=True))  # fmt: skip
    assert ids == sorted(str(dataset[k].pk) for k in ("a1", "a2"))
    listed = names(client.get("/crm/accounts/", {"segment": segment.pk}))
    assert listed == ["Alpha bakery", "Beta kiosk"]
    api = as_user("manager").get(f"accounts?segment={segment.pk}")
    assert api.status_code == 200
    assert sorted(str(item["id"]) for item in api.json()["items"]) == ids
    exported = as_user("manager").get(f"accounts/export.csv?segment={segment.pk}")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert sorted(row["name"] for row in rows) == ["Alpha bakery", "Beta kiosk"]
    # The manager's map, through the same segment path.
    form = MapFilterForm({"segment": str(segment.pk)}, actor=world.manager)
    assert form.is_valid(), form.errors
    on_map = map_accounts(actor=world.manager, filters=form.filters())
    assert sorted(a.name for a in on_map) == ["Alpha bakery", "Beta kiosk"]


def test_a_segment_whose_area_went_bad_matches_nothing(world, dataset):
    segment = Segment.objects.create(owner=world.manager, name="Bad", query={"area": ["??"]})
    assert list(segment_accounts(actor=world.manager, segment_id=segment.pk)) == []
