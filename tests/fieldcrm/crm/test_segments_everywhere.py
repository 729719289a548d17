"""A saved segment wherever a set of accounts is chosen (issue 16): the API's list, GeoJSON and
exports (`?segment=`), and the manager's map and its area selection — each within the
reader's own scope, as the accounts list applies it."""

from __future__ import annotations

import csv
import io
import json

import pytest

from fieldcrm.crm.models import Segment
from fieldcrm.manager.forms import MapFilterForm
from fieldcrm.manager.selectors import map_accounts
from tests.fieldcrm.crm.test_crm_pages import client_for, shops  # noqa: F401 (fixture)


@pytest.fixture
def customers(world, shops):  # noqa: F811
    """The manager's shared segment "customers and prospects" (North and South accounts
    match it: the South's Delta is out of the manager's scope)."""
    return Segment.objects.create(
        owner=world.manager, name="Live", list_name="accounts", is_shared=True,
        query={"status": ["customer", "prospect"]},
    )  # fmt: skip


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return sorted(item["name"] for item in response.json()["items"])


def test_the_api_list_geojson_and_exports_take_a_segment_within_the_callers_scope(
    world, customers, as_user
):
    manager, rep1 = as_user("manager"), as_user("rep1")
    url = f"accounts?segment={customers.pk}"
    assert _names(manager.get(url)) == ["Alpha bakery", "Beta kiosk"]
    assert _names(rep1.get(url)) == ["Alpha bakery", "Beta kiosk"]
    # Combined with the list's own filters, both apply.
    assert _names(manager.get(url + "&q=kiosk")) == ["Beta kiosk"]
    assert _names(as_user("admin").get("accounts?status=customer")) == [
        "Alpha bakery", "Delta south",
    ]  # fmt: skip
    geo = manager.get(f"accounts.geojson?segment={customers.pk}").json()
    assert sorted(f["properties"]["name"] for f in geo["features"]) == [
        "Alpha bakery", "Beta kiosk",
    ]  # fmt: skip
    exported = manager.get(f"accounts/export.csv?segment={customers.pk}")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert sorted(row["name"] for row in rows) == ["Alpha bakery", "Beta kiosk"]


@pytest.mark.parametrize("persona", ["rep3", "admin"])
def test_a_segment_the_caller_may_not_apply_is_a_422_naming_it(world, customers, as_user, persona):
    """rep3 works in the South, not the manager's team; an admin sees every shared segment,
    so for the admin it is a private one that is refused."""
    if persona == "admin":
        customers.is_shared = False
        customers.save()
    for url in ("accounts", "accounts.geojson", "accounts/export.csv", "accounts/export.xlsx"):
        response = as_user(persona).get(f"{url}?segment={customers.pk}")
        assert response.status_code == 422, (url, response.status_code)
        assert response.json()["detail"][0]["loc"] == ["query", "segment"], url


@pytest.mark.parametrize("value", ["0", "-1", "x", "99999999999999999999999", "1.5"])
def test_a_segment_id_that_is_no_id_is_a_422_naming_it(world, as_user, value):
    response = as_user("manager").get(f"accounts?segment={value}")
    assert response.status_code == 422
    assert "segment" in json.dumps(response.json())


def test_the_manager_map_and_its_selection_take_a_segment(world, customers, shops):  # noqa: F811
    form = MapFilterForm({"segment": str(customers.pk)}, actor=world.manager)
    assert form.is_valid(), form.errors
    on_map = map_accounts(actor=world.manager, filters=form.filters())
    assert sorted(a.name for a in on_map) == ["Alpha bakery", "Beta kiosk"]
    page = client_for(world, "manager").get(f"/manager/map?segment={customers.pk}")
    assert page.status_code == 200 and "Live</option>" in page.content.decode()
    # A segment the caller may not apply is not offered, so the field is invalid and dropped
    # (the map's rule for any filter out of scope), never widened to someone else's set.
    customers.is_shared = False
    customers.save()
    other = MapFilterForm({"segment": str(customers.pk)}, actor=world.rep1)
    assert not other.is_valid() and "segment" in other.errors
