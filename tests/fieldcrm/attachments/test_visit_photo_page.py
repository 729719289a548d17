"""A visit's photos on the account page's timeline (issue 21): thumbnails served inline
through the visit's scope (404 outside it, like a missing one), with alt text, no inline style."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fieldcrm.accounts.models import Activity, ActivityKind
from fieldcrm.attachments.models import Attachment, PhotoUpload, RecordType
from fieldcrm.attachments.services import attachment_store
from fieldcrm.visits.models import Visit
from tests.factories import make_account

JPEG = b"\xff\xd8\xff\xe0" + bytes((i * 31) % 251 for i in range(5000))


@pytest.fixture
def photographed(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    account = make_account("Alpha <b>", lng=1.02, lat=42.02)
    visit = Visit.objects.create(account=account, rep=world.rep1, scheduled_on=dt.date(2026, 3, 4),
                                 status=Visit.Status.DONE)  # fmt: skip
    at = dt.datetime(2026, 3, 4, 10, tzinfo=dt.UTC)
    Activity.objects.create(account=account, kind=ActivityKind.VISIT, visit=visit,
                            actor=world.rep1, subject="Visit", occurred_at=at)  # fmt: skip
    rows = []
    for kind in ("shelf", "damage"):
        attachment = attachment_store(
            record_type=RecordType.VISIT, record=visit, uploaded_by=world.rep1,
            upload=SimpleUploadedFile(f"{kind}.jpg", JPEG + kind.encode(), "image/jpeg"),
        )  # fmt: skip
        PhotoUpload.objects.create(visit=visit, uploaded_by=world.rep1, kind=kind, size=len(JPEG),
                                   content_type="image/jpeg", attachment=attachment,
                                   sha256=hashlib.sha256(JPEG + kind.encode()).hexdigest(),
                                   received=len(JPEG))  # fmt: skip
        rows.append(attachment)
    return account, visit, rows


def page_of(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_manager_sees_the_visits_photos_on_the_timeline(world, photographed):
    account, _visit, rows = photographed
    html = page_of(world.manager).get(f"/crm/accounts/{account.pk}/").content.decode()
    for row, kind in zip(rows, ("shelf", "damage"), strict=True):
        assert f'src="/crm/attachments/{row.pk}/photo"' in html
        assert f'alt="Visit photo: {kind}"' in html
    assert "style=" not in html.split('id="timeline"')[1].split("</section>")[0]


def test_a_photo_is_served_inline_in_scope_and_404_outside(world, photographed):
    _account, _visit, rows = photographed
    url = f"/crm/attachments/{rows[0].pk}/photo"
    shown = page_of(world.manager).get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert "attachment" not in shown.get("Content-Disposition", "")
    assert b"".join(shown.streaming_content) == JPEG + b"shelf"
    assert page_of(world.rep1).get(url).status_code == 200
    # Another region's rep, and a photo that does not exist: the same 404.
    assert page_of(world.rep3).get(url).status_code == 404
    assert page_of(world.rep3).get("/crm/attachments/999999/photo").status_code == 404


def test_a_file_that_is_not_a_visit_photo_is_not_shown_inline(world, photographed):
    account, _visit, _rows = photographed
    other = attachment_store(record_type=RecordType.ACCOUNT, record=account,
                             uploaded_by=world.manager,
                             upload=SimpleUploadedFile("a.jpg", JPEG, "image/jpeg"))  # fmt: skip
    assert page_of(world.manager).get(f"/crm/attachments/{other.pk}/photo").status_code == 404
    assert Attachment.objects.filter(visit__isnull=False).count() == 2
