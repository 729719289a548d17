"""Account import through /api/v1/accounts/import and the import_accounts command."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from fieldcrm.accounts import imports
from fieldcrm.accounts.models import Account, CustomFieldDefinition
from tests.factories import make_account

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def upload(client, content: bytes, name: str = "accounts.csv", **params):
    query = "&".join(f"{k}={str(v).lower()}" for k, v in params.items())
    return client.client.post(
        f"/api/v1/accounts/import?{query}", {"file": SimpleUploadedFile(name, content)}
    )


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_dry_run_reports_counts_and_saves_nothing(as_user):
    response = upload(as_user("manager"), sample("accounts.csv"), dry_run=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True and body["saved"] is False
    assert body["rows"] == 3
    assert body["counts"] == {"create": 3, "update": 0, "unchanged": 0, "invalid": 0}
    assert body["errors"] == [] and body["detail"] is None
    assert not Account.all_objects.exists()


def test_dry_run_lists_each_problem_by_file_row_and_field(as_user):
    body = upload(as_user("manager"), sample("accounts_errors.csv"), dry_run=True).json()
    problems = {(e["row"], e["field"]) for e in body["errors"]}
    assert problems == {(3, "email"), (4, "lat"), (5, "external_id"), (6, "external_id")}
    assert all(e["problem"] for e in body["errors"])
    assert body["counts"] == {"create": 1, "update": 0, "unchanged": 0, "invalid": 4}
    assert not Account.all_objects.exists()


def test_import_creates_accounts_with_territory_tags_and_owner(as_user, world):
    response = upload(as_user("manager"), sample("accounts.csv"))
    assert response.status_code == 200, response.content
    assert response.json()["saved"] is True
    alpha = Account.objects.get(external_id="EXT-1")
    assert alpha.territory == world.territory_a and alpha.owner == world.rep1
    assert sorted(t.name for t in alpha.tags.all()) == ["bakery", "key account"]
    assert (alpha.status, alpha.tier, alpha.priority, alpha.visit_frequency_days) == (
        "customer", "A", 2, 14
    )  # fmt: skip
    assert alpha.source == "import: accounts.csv"
    assert Account.objects.get(external_id="EXT-2").territory == world.territory_b


def test_real_run_is_all_or_nothing_with_a_422_report(as_user):
    response = upload(as_user("manager"), sample("accounts_errors.csv"))
    assert response.status_code == 422
    body = response.json()
    assert body["saved"] is False
    assert ["body", "file", 3, "email"] in [d["loc"] for d in body["detail"]]
    assert not Account.all_objects.exists()


def test_partial_saves_the_good_rows_and_reports_the_rest(as_user):
    response = upload(as_user("manager"), sample("accounts_errors.csv"), partial=True)
    assert response.status_code == 200
    assert response.json()["counts"]["create"] == 1
    assert list(Account.objects.values_list("name", flat=True)) == ["Good One"]


def test_second_import_upserts_on_external_id(as_user):
    manager = as_user("manager")
    upload(manager, sample("accounts.csv"))
    changed = sample("accounts.csv").replace(b"Carrer Major 2", b"Carrer Nou 9")
    body = upload(manager, changed).json()
    assert body["counts"] == {"create": 0, "update": 1, "unchanged": 2, "invalid": 0}
    beta = Account.objects.get(external_id="EXT-2")
    assert (beta.address, beta.version) == ("Carrer Nou 9", 2)
    assert Account.objects.get(external_id="EXT-1").version == 1
    assert Account.objects.count() == 3


def test_duplicate_external_ids_in_one_file_flag_both_rows(as_user):
    content = b"name,external_id\nOne,X-1\nTwo,X-2\nThree,X-1\n"
    body = upload(as_user("admin"), content).json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (2, "external_id"), (4, "external_id")
    ]  # fmt: skip
    assert "row 4" in body["errors"][0]["problem"]
    assert not Account.all_objects.exists()


def test_cp1252_is_refused_naming_the_file_and_line(as_user):
    response = upload(as_user("manager"), sample("accounts_cp1252.csv"))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", "file"]
    assert "UTF-8" in detail[0]["msg"] and "line 2" in detail[0]["msg"]


def test_utf8_without_bom_and_semicolons_are_accepted(as_user):
    body = upload(as_user("manager"), sample("accounts_semicolon.csv")).json()
    assert body["counts"]["create"] == 1, body
    assert body["warnings"]
    delta = Account.objects.get(external_id="EXT-4")
    assert sorted(t.name for t in delta.tags.all()) == ["deli", "food"]
    assert upload(as_user("admin"), "name\nCafé del Sol\n".encode()).status_code == 200


def test_missing_name_and_unknown_columns_are_reported_on_the_header_row(as_user):
    body = upload(as_user("manager"), b"status,colour\nlead,red\n").json()
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(1, "name"), (1, "colour")}
    body = upload(as_user("admin"), b"name,colour\nShop,red\n", dry_run=True).json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(1, "colour")]


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"", "a.csv"), (b"\xef\xbb\xbf\n", "a.csv"), (b"name,status\nShop,lead\n", "a.xlsx"),
     (bytes(range(256)) * 20, "a.csv"), (b"PK\x03\x04garbage", "a.xlsx"),
     (b"name|status|lat\nShop|lead|42\n", "a.csv"), (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "a.xls"),
     (b"\xff\xfen\x00a\x00m\x00e\x00", "a.csv")],
    ids=["empty", "bom-only", "csv-renamed-xlsx", "binary", "broken-zip", "pipes", "old-xls",
         "utf16"],
)  # fmt: skip
def test_malformed_files_are_422_naming_file(as_user, content, name):
    response = upload(as_user("manager"), content, name)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


def test_truncated_or_foreign_zip_is_refused(as_user):
    workbook = xlsx([["name"], ["Shop"]])
    assert upload(as_user("manager"), workbook[:200], "a.xlsx").status_code == 422
    other = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert upload(as_user("manager"), other.getvalue(), "a.xlsx").status_code == 422


def test_xlsx_import_with_numbers_and_custom_fields(as_user, world):
    CustomFieldDefinition.objects.create(key="employees", label="Employees", kind="number")
    CustomFieldDefinition.objects.create(key="vip", label="VIP", kind="boolean")
    content = xlsx(
        [["NAME", "lat", "lng", "priority", "external_id", "cf:employees", "CF:VIP"],
         ["Shop", 42.02, 1.02, 4, 1001, 12, True]]
    )  # fmt: skip
    response = upload(as_user("manager"), content, "shops.xlsx")
    assert response.status_code == 200, response.content
    shop = Account.objects.get()
    assert (shop.priority, shop.external_id, shop.territory) == (4, "1001", world.territory_a)
    assert shop.custom_fields == {"employees": 12, "vip": True}


def test_bad_custom_field_value_names_the_column(as_user):
    CustomFieldDefinition.objects.create(key="size", label="Size", kind="choice", choices=["S"])
    body = upload(as_user("manager"), b"name,cf:size\nShop,XL\n", dry_run=True).json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "cf:size")]


def test_lifecycle_rule_applies_to_imported_rows(as_user):
    make_account("Old Customer", status="customer", external_id="C-1")
    body = upload(as_user("manager"), b"name,status,external_id\nOld Customer,lead,C-1\n").json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "status")]


def test_reps_and_planners_may_not_import(as_user):
    for persona in ("rep1", "planner"):
        assert upload(as_user(persona), sample("accounts.csv")).status_code == 403
    assert not Account.all_objects.exists()


def test_manager_cannot_import_outside_their_region(as_user):
    make_account("South Shop", lng=1.05, lat=41.05, external_id="S-1")
    content = b"name,lat,lng,external_id\nNew South,41.05,1.06,S-2\nSouth Shop,41.05,1.05,S-1\n"
    body = upload(as_user("manager"), content, dry_run=True).json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "lat"), (3, "external_id")]


def test_unknown_owner_is_refused(as_user):
    body = upload(as_user("manager"), b"name,owner\nShop,rep3\n", dry_run=True).json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "owner")]


def test_too_large_and_too_many_rows_are_413(as_user, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    response = upload(as_user("manager"), b"name\n" + b"Shop\n" * 50)
    assert response.status_code == 413
    assert response.json()["detail"][0]["loc"] == ["body", "file"]
    monkeypatch.setattr(imports, "MAX_BYTES", 10_000)
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    assert upload(as_user("manager"), b"name\n" + b"Shop\n" * 4).status_code == 413
    assert (
        upload(as_user("manager"), xlsx([["name"]] + [["Shop"]] * 4), "a.xlsx").status_code == 413
    )


def test_missing_file_is_422(as_user):
    response = as_user("manager").client.post("/api/v1/accounts/import")
    assert response.status_code == 422
    assert "file" in str(response.json()["detail"])


def test_command_shares_the_core(world, capsys):
    path = DATA / "accounts.csv"
    call_command("import_accounts", str(path), "--user", "manager", "--dry-run")
    assert "3 create" in capsys.readouterr().out
    assert not Account.all_objects.exists()
    call_command("import_accounts", str(path), "--user", "manager")
    assert Account.objects.count() == 3
    with pytest.raises(CommandError):
        call_command("import_accounts", str(DATA / "accounts_errors.csv"), "--user", "manager")
    with pytest.raises(CommandError):
        call_command("import_accounts", str(path), "--user", "rep1")


def test_a_row_that_may_duplicate_an_account_is_warned_about_not_refused(as_user):
    make_account("Bakery Koskinen", lng=1.05, lat=42.05, phone="+358 40 123 4567")
    content = (
        b"name,phone,lat,lng\n"
        b"Koskinen Bakery,040-123 4567,42.0501,1.0501\n"  # same phone, a similar name nearby
        b"Hardware Store,,42.07,1.07\n"
        b"Hardware store,,42.0701,1.0701\n"  # the row above, spelled differently
    )
    body = upload(as_user("manager"), content, dry_run=True).json()
    assert body["counts"]["create"] == 3 and body["errors"] == []
    assert body["warnings"] == [
        "Row 2 may be the same as “Bakery Koskinen” (same phone, similar name nearby).",
        "Row 4 may be the same as “Hardware Store” (similar name nearby).",
    ]
    assert not Account.objects.filter(name="Hardware Store").exists()  # a dry run
