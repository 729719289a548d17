"""Attachments (issue 18): files on accounts, deals, orders and visits through the API and the
pages, scoped like their record, with the size and type limits; a refusal keeps nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fieldcrm.attachments.models import Attachment
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.orders.models import Order
from fieldcrm.visits.models import Visit
from tests.factories import make_account

PDF = b"%PDF-1.7\n%fake but with the right magic\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def records(world, media):
    """An account of territory A (rep1's) with a deal, a quote and a visit by rep1."""
    account = make_account("Alpha", lng=1.02, lat=42.02)
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stage = Stage.objects.create(pipeline=pipeline, name="New", position=0)
    return {
        "account": account,
        "deal": Deal.objects.create(account=account, name="Tea", pipeline=pipeline, stage=stage),
        "order": Order.objects.create(kind="quote", number="Q-2026-0001", account=account,
                                      currency="EUR", issued_on=dt.date(2026, 3, 4)),
        "visit": Visit.objects.create(account=account, rep=world.rep1,
                                      scheduled_on=dt.date(2026, 3, 4)),
    }  # fmt: skip


def client_of(world, persona):
    client = Client()
    client.force_login(getattr(world, persona))
    return client


def upload(client, record_type, record, name="offer.pdf", content=PDF):
    return client.post("/api/v1/attachments", {
        "record_type": record_type, "record_id": str(record.pk),
        "file": SimpleUploadedFile(name, content, content_type="application/x-whatever"),
    })  # fmt: skip


def stored(media):
    return sorted(p.name for p in media.rglob("*") if p.is_file())


@pytest.mark.parametrize("record_type", ["account", "deal", "order", "visit"])
def test_a_file_on_each_kind_of_record_is_uploaded_listed_and_downloaded(
    world, records, media, record_type
):
    rep1 = client_of(world, "rep1")
    response = upload(rep1, record_type, records[record_type])
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["size"], body["content_type"]) == ("offer.pdf", len(PDF),
                                                                  "application/pdf")  # fmt: skip
    assert body["record_id"] == str(records[record_type].pk)
    listed = rep1.get(f"/api/v1/attachments?record_type={record_type}"
                      f"&record_id={records[record_type].pk}").json()  # fmt: skip
    assert [a["id"] for a in listed["items"]] == [body["id"]]
    download = client_of(world, "manager").get(f"/api/v1/attachments/{body['id']}/download")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF
    assert "offer.pdf" in download["Content-Disposition"]
    assert len(stored(media)) == 1 and stored(media)[0] != "offer.pdf"  # our own name


def test_a_file_is_seen_only_where_its_record_is(world, records):
    row = upload(client_of(world, "rep1"), "account", records["account"]).json()
    rep2 = client_of(world, "rep2")
    for tail in ("", "/download"):
        outside = rep2.get(f"/api/v1/attachments/{row['id']}{tail}")
        missing = rep2.get(f"/api/v1/attachments/987654{tail}")
        assert outside.status_code == missing.status_code == 404
        assert outside.content == missing.content
    listed = rep2.get(f"/api/v1/attachments?record_type=account&record_id={records['account'].pk}")
    assert listed.status_code == 404
    assert upload(rep2, "account", records["account"]).status_code == 404
    assert rep2.delete(f"/api/v1/attachments/{row['id']}").status_code == 404
    assert client_of(world, "rep2").get(f"/crm/attachments/{row['id']}").status_code == 404
    # A planner reads the account's files but attaches none.
    planner = client_of(world, "planner")
    assert planner.get(f"/api/v1/attachments/{row['id']}").status_code == 200
    assert upload(planner, "account", records["account"]).status_code == 403


def test_another_reps_visit_files_follow_the_visit(world, records):
    row = upload(client_of(world, "rep1"), "visit", records["visit"]).json()
    records["visit"].rep = world.rep2
    records["visit"].save()
    # The visit is rep2's now: rep1 sees the account but no longer the visit, nor its file.
    assert client_of(world, "rep1").get(f"/api/v1/attachments/{row['id']}").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", "not accepted"),
        ("noextension", b"hello", "not accepted"),
        ("invoice.pdf", b"MZ\x90\x00 a renamed program", "not a .pdf"),
        ("photo.png", PDF, "not a .png"),
        ("notes.txt", b"\x00\x01\x02binary", "not a .txt"),
        ("big.pdf", PDF + b"x" * 2048, "larger than"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_a_refused_file_names_the_field_and_keeps_nothing(
    world, records, media, settings, name, content, message
):
    settings.FIELDCRM_ATTACHMENT_MAX_MB = 0.001  # about 1 KB
    response = upload(client_of(world, "rep1"), "account", records["account"], name, content)
    assert response.status_code == 422, response.content
    [error] = response.json()["detail"]
    assert error["loc"][-1] == "file" and message in error["msg"], error
    assert not Attachment.objects.exists() and stored(media) == []


def test_an_unknown_record_type_is_refused_naming_it(world, records):
    response = upload(client_of(world, "rep1"), "contact", records["account"])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "record_type"


def test_deleting_a_file_removes_its_bytes_once_the_row_is_gone(
    world, records, media, django_capture_on_commit_callbacks
):
    rep1 = client_of(world, "rep1")
    row = upload(rep1, "order", records["order"]).json()
    with django_capture_on_commit_callbacks(execute=True):
        assert rep1.delete(f"/api/v1/attachments/{row['id']}").status_code == 204
    assert not Attachment.objects.exists()
    assert stored(media) == []


def test_the_record_pages_list_files_and_take_uploads(world, records, media):
    page = client_of(world, "rep1")
    account_url = f"/crm/accounts/{records['account'].pk}/"
    assert 'id="files-empty"' in page.get(account_url).content.decode()
    response = page.post("/crm/attachments/", {
        "record_type": "account", "record_id": str(records["account"].pk),
        "file": SimpleUploadedFile("Báo giá.pdf", PDF),
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == account_url + "#files"
    shown = page.get(account_url).content.decode()
    assert "Báo giá.pdf" in shown and "/crm/attachments/" in shown
    for kind, url in (("deal", f"/crm/deals/{records['deal'].pk}/"),
                      ("order", f"/crm/orders/{records['order'].pk}/")):  # fmt: skip
        assert 'id="file-form"' in page.get(url).content.decode(), kind
    refused = page.post("/crm/attachments/", {
        "record_type": "order", "record_id": str(records["order"].pk),
        "file": SimpleUploadedFile("run.exe", b"MZ"),
    })  # fmt: skip
    assert refused.status_code == 400
    assert "File:" in refused.content.decode() and "not accepted" in refused.content.decode()
    assert Attachment.objects.count() == 1 and len(stored(media)) == 1
    # The planner sees the list but no upload form.
    planner = client_of(world, "planner").get(account_url).content.decode()
    assert "Báo giá.pdf" in planner and 'id="file-form"' not in planner
