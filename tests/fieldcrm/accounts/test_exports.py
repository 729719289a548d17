"""Account exports (CSV, XLSX, GeoJSON): scope, filters, and a round trip through the importer."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fieldcrm.accounts import exports
from fieldcrm.accounts.models import Account, CustomFieldDefinition
from fieldcrm.accounts.services import account_set_tags
from tests.factories import make_account


@pytest.fixture
def shops(world):
    CustomFieldDefinition.objects.create(key="employees", label="Employees", kind="number")
    CustomFieldDefinition.objects.create(key="since", label="Since", kind="date")
    alpha = make_account(
        "Alpha Bakery", lng=1.02, lat=42.02, status="customer", external_id="EXT-1",
        owner=world.rep1, phone="+376 111 222", email="a@example.com", tier="A",
        visit_frequency_days=14, custom_fields={"employees": 12, "since": "2020-01-31"},
    )  # fmt: skip
    account_set_tags(account=alpha, tags=["bakery", "key account"])
    return {
        "a1": alpha,
        "a2": make_account("Beta Bar", lng=1.05, lat=42.05, status="prospect"),
        "a3": make_account('=HYPERLINK("http://evil")', lng=1.06, lat=42.06),
        "nowhere": make_account("No Place", lng=None, owner=world.rep1, address="Somewhere"),
        "b1": make_account("Gamma Garage", lng=1.15, lat=42.05, status="lead"),
        "s1": make_account("South Shop", lng=1.05, lat=41.05, status="customer"),
    }


def download(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response.getvalue()


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def reimport(client, content: bytes, name: str):
    return client.client.post(
        "/api/v1/accounts/import?dry_run=true", {"file": SimpleUploadedFile(name, content)}
    ).json()


def test_csv_export_holds_only_the_reps_accounts(as_user, shops):
    rows = csv_rows(download(as_user("rep1"), "accounts/export.csv"))
    assert sorted(r["name"] for r in rows) == sorted(
        ["Alpha Bakery", "Beta Bar", '\'=HYPERLINK("http://evil")', "No Place"]
    )
    alpha = next(r for r in rows if r["name"] == "Alpha Bakery")
    assert alpha["tags"] == "bakery;key account" and alpha["owner"] == "rep1"
    assert (alpha["lat"], alpha["lng"], alpha["cf:employees"]) == ("42.02", "1.02", "12")


def test_export_applies_the_list_filters_and_refuses_unknown_ones(as_user, shops):
    manager = as_user("manager")
    rows = csv_rows(download(manager, "accounts/export.csv?status=customer"))
    assert [r["name"] for r in rows] == ["Alpha Bakery"]
    response = manager.get("accounts/export.csv?colour=red")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "colour"]


def test_geojson_export_is_scoped_and_keeps_accounts_without_location(as_user, shops):
    response = as_user("rep2").get("accounts/export.geojson")
    assert response["Content-Type"] == "application/geo+json"
    body = json.loads(response.getvalue())
    assert [f["properties"]["name"] for f in body["features"]] == ["Gamma Garage"]
    body = json.loads(download(as_user("rep1"), "accounts/export.geojson"))
    by_name = {f["properties"]["name"]: f for f in body["features"]}
    assert by_name["No Place"]["geometry"] is None
    assert by_name["Alpha Bakery"]["geometry"]["coordinates"] == [1.02, 42.02]
    assert "South Shop" not in by_name


def test_xlsx_export_is_scoped(as_user, shops):
    from openpyxl import load_workbook

    content = download(as_user("rep2"), "accounts/export.xlsx")
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "external_id", "name")
    assert [r[2] for r in rows[1:]] == ["Gamma Garage"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imported_again_is_unchanged(as_user, shops, fmt):
    manager = as_user("manager")
    content = download(manager, f"accounts/export.{fmt}")
    report = reimport(manager, content, f"accounts.{fmt}")
    assert report["errors"] == [], report
    assert report["counts"] == {"create": 0, "update": 0, "unchanged": 4, "invalid": 0}


def test_formula_text_is_neutralised_in_csv_and_survives_the_round_trip(as_user, shops):
    content = download(as_user("admin"), "accounts/export.csv")
    rows = csv_rows(content)
    assert '\'=HYPERLINK("http://evil")' in [r["name"] for r in rows]
    assert "+376 111 222" in [r["phone"] for r in rows]  # phone numbers are left alone
    edited = content.replace(b"No Place", b"New Place")
    report = reimport(as_user("admin"), edited, "accounts.csv")
    assert report["counts"] == {"create": 0, "update": 1, "unchanged": 5, "invalid": 0}


def test_too_many_rows_is_422_asking_to_narrow(as_user, shops, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    response = as_user("manager").get("accounts/export.xlsx")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "filters"]


def test_anonymous_export_is_401(as_user, shops):
    assert as_user(None).get("accounts/export.csv").status_code == 401
    assert Account.objects.count() == 6


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_text_starting_with_an_apostrophe_round_trips_exactly(as_user, world, fmt):
    """Regression: the importer un-escaped XLSX cells, which the XLSX export never escapes, so
    a leading apostrophe was lost on the way back."""
    make_account("'=1+1 shop", lng=1.05, lat=42.05, address="'quoted' street")
    manager = as_user("manager")
    content = download(manager, f"accounts/export.{fmt}")
    report = reimport(manager, content, f"accounts.{fmt}")
    assert report["errors"] == [], report
    assert report["counts"]["update"] == 0 and report["counts"]["unchanged"] == 1, report


def test_an_xlsx_that_costs_too_much_to_read_is_a_413_naming_file(as_user, world, monkeypatch):
    from fieldcrm.accounts import imports

    make_account("Alpha", lng=1.05, lat=42.05)
    manager = as_user("manager")
    content = download(manager, "accounts/export.xlsx")
    for limit, value in (("MAX_CELLS", 5), ("MAX_CELL_CHARS", 2), ("MAX_READ_S", -1.0)):
        monkeypatch.setattr(imports, limit, value)
        response = manager.client.post(
            "/api/v1/accounts/import?dry_run=true",
            {"file": SimpleUploadedFile("a.xlsx", content)},
        )
        assert response.status_code == 413, (limit, response.content)
        assert response.json()["errors"][0]["field"] == "file", response.json()
        monkeypatch.undo()
