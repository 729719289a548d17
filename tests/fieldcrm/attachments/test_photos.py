"""Visit photos uploaded in parts (issue 21): POST /api/v1/photos starts an upload, PATCH
appends at the server's offset (409 naming it otherwise), the last part checks the SHA-256 and
the upload rules and the photo becomes an attachment on the visit; scoped like the visit."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import Client

from fieldcrm.attachments.models import Attachment, PhotoUpload
from fieldcrm.attachments.photos import PART_MAX_BYTES, PHOTO_MAX_BYTES
from fieldcrm.visits.models import Visit
from tests.factories import make_account

# A JPEG's magic, then bytes that vary (deterministic): 150 KB, three parts and a bit.
PHOTO = b"\xff\xd8\xff\xe0" + bytes((i * 7919) % 251 for i in range(150_000))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def visit(world, media):
    account = make_account("Alpha", lng=1.02, lat=42.02)
    return Visit.objects.create(account=account, rep=world.rep1, scheduled_on=dt.date(2026, 3, 4))


def client_of(world, persona):
    client = Client()
    client.force_login(getattr(world, persona))
    return client


def start(client, visit, content=PHOTO, **extra):
    body = {"visit_id": str(visit.pk), "kind": "shelf", "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(), "content_type": "image/jpeg",
            **extra}  # fmt: skip
    return client.post("/api/v1/photos", body, content_type="application/json")


def part(client, upload_id, offset, data):
    return client.patch(f"/api/v1/photos/{upload_id}", data,
                        content_type="application/offset+octet-stream",
                        headers={"Upload-Offset": str(offset)})  # fmt: skip


def send_all(client, upload_id, content=PHOTO, offset=0):
    response = None
    while offset < len(content):
        response = part(client, upload_id, offset, content[offset : offset + PART_MAX_BYTES])
        assert response.status_code == 200, response.content
        offset = response.json()["offset"]
    return response


def loc(response):
    return response.json()["detail"][0]["loc"][-1]


def stored(media):
    return sorted(p.name for p in media.rglob("*") if p.is_file())


def test_a_photo_in_parts_becomes_an_attachment_on_the_visit(
    world, visit, media, django_capture_on_commit_callbacks
):
    rep = client_of(world, "rep1")
    created = start(rep, visit)
    assert created.status_code == 201, created.content
    assert created.json()["offset"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        done = send_all(rep, created.json()["id"])
    assert done.json()["complete"] and done.json()["offset"] == len(PHOTO)
    [attachment] = Attachment.objects.filter(visit=visit)
    assert attachment.content_type == "image/jpeg" and attachment.size == len(PHOTO)
    assert attachment.file.read() == PHOTO
    assert stored(media) == [attachment.file.name.rsplit("/", 1)[-1]]  # no part left behind
    # The manager sees it on the visit through the attachments API (and downloads it).
    listed = client_of(world, "manager").get(
        f"/api/v1/attachments?record_type=visit&record_id={visit.pk}"
    )
    assert [a["id"] for a in listed.json()["items"]] == [attachment.pk]
    # The same photo again (a phone that lost the answer) is the same finished upload.
    again = start(rep, visit)
    assert again.status_code == 200 and again.json()["complete"]
    assert Attachment.objects.filter(visit=visit).count() == 1


def test_after_a_drop_the_phone_resumes_at_the_servers_offset(world, visit):
    rep = client_of(world, "rep1")
    upload_id = start(rep, visit).json()["id"]
    first = part(rep, upload_id, 0, PHOTO[:PART_MAX_BYTES])
    assert first.json()["offset"] == PART_MAX_BYTES
    # The phone lost the answer: it asks (or starts again) and the server names its offset.
    assert rep.get(f"/api/v1/photos/{upload_id}").json()["offset"] == PART_MAX_BYTES
    assert start(rep, visit).json() | {} == rep.get(f"/api/v1/photos/{upload_id}").json()
    # A part re-sent at 0 is refused, naming the offset; nothing is appended twice.
    wrong = part(rep, upload_id, 0, PHOTO[:PART_MAX_BYTES])
    assert wrong.status_code == 409 and loc(wrong) == "Upload-Offset"
    assert wrong.json()["offset"] == PART_MAX_BYTES and wrong["Upload-Offset"] == "65536"
    send_all(rep, upload_id, offset=PART_MAX_BYTES)
    assert Attachment.objects.get(visit=visit).file.read() == PHOTO


def test_a_wrong_sha256_keeps_nothing(world, visit, media, django_capture_on_commit_callbacks):
    rep = client_of(world, "rep1")
    upload_id = start(rep, visit, sha256="0" * 64).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        part(rep, upload_id, 0, PHOTO[:PART_MAX_BYTES])
        part(rep, upload_id, PART_MAX_BYTES, PHOTO[PART_MAX_BYTES : 2 * PART_MAX_BYTES])
        last = part(rep, upload_id, 2 * PART_MAX_BYTES, PHOTO[2 * PART_MAX_BYTES :])
    assert last.status_code == 422 and loc(last) == "sha256", last.content
    assert not PhotoUpload.objects.exists() and not Attachment.objects.exists()
    assert stored(media) == []


def test_content_that_is_not_the_type_claimed_is_refused_naming_file(
    world, visit, media, django_capture_on_commit_callbacks
):
    rep = client_of(world, "rep1")
    fake = b"MZ" + PHOTO[2:1000]  # a program called a JPEG
    upload_id = start(rep, visit, content=fake).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        last = part(rep, upload_id, 0, fake)
    assert last.status_code == 422 and loc(last) == "file", last.content
    assert not PhotoUpload.objects.exists() and not Attachment.objects.exists()
    assert stored(media) == []


@pytest.mark.parametrize(("extra", "field"), [
    ({"content_type": "application/pdf"}, "content_type"),
    ({"kind": "selfie"}, "kind"),
    ({"size": PHOTO_MAX_BYTES + 1}, "size"),
    ({"size": 0}, "size"),
    ({"sha256": "xyz"}, "sha256"),
])  # fmt: skip
def test_a_bad_start_is_a_422_naming_the_field(world, visit, extra, field):
    response = start(client_of(world, "rep1"), visit, **extra)
    assert response.status_code == 422, response.content
    assert loc(response) == field
    assert "2048 KB" in response.json()["detail"][0]["msg"] or field != "size" or not extra["size"]
    assert not PhotoUpload.objects.exists()


def test_bad_parts_are_422s_naming_the_field(world, visit):
    rep = client_of(world, "rep1")
    upload_id = start(rep, visit).json()["id"]
    too_big = part(rep, upload_id, 0, PHOTO[: PART_MAX_BYTES + 1])
    assert too_big.status_code == 422 and loc(too_big) == "body"
    no_offset = rep.patch(f"/api/v1/photos/{upload_id}", PHOTO[:10],
                          content_type="application/offset+octet-stream")  # fmt: skip
    assert no_offset.status_code == 422 and loc(no_offset) == "Upload-Offset"
    assert PhotoUpload.objects.get().received == 0


def test_outside_the_visits_scope_is_the_404_of_a_missing_one(world, visit):
    rep1 = client_of(world, "rep1")
    upload_id = start(rep1, visit).json()["id"]
    missing_visit = Visit(pk="00000000-0000-0000-0000-000000000001")
    for persona in ("rep2", "rep3"):
        other = client_of(world, persona)
        outside, missing = start(other, visit), start(other, missing_visit)
        assert outside.status_code == 404
        assert (outside.status_code, outside.content) == (missing.status_code, missing.content)
    # An upload is its uploader's alone, even for the visit's manager.
    for persona in ("rep3", "manager", "admin"):
        other = client_of(world, persona)
        for response in (other.get(f"/api/v1/photos/{upload_id}"),
                         part(other, upload_id, 0, PHOTO[:100])):  # fmt: skip
            assert response.status_code == 404, (persona, response.content)
        assert other.get("/api/v1/photos/00000000-0000-0000-0000-000000000001").content == (
            other.get(f"/api/v1/photos/{upload_id}").content
        )
    assert PhotoUpload.objects.get().received == 0
