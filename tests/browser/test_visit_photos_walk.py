"""Issue 21, visit photos: taken offline, compressed on the phone, uploaded after the visit has
synced, resumed after a dropped connection without re-sending a byte, shown on the visit in
the workspace, scoped like the visit.

The rep goes offline, logs a visit with two photos (a shelf, damage: camera-sized JPEGs drawn
in the browser, set on the camera input), removes a third taken by mistake, saves. Back online
the visit syncs, then each photo is created once and sent in 64 KB parts; one part's answer
is lost after the server took it (page.route: fetched, then aborted), and the phone asks the
server's offset and goes on from there: the server receives exactly each photo's bytes, once.
The manager sees both thumbnails on the account's timeline; a rep of another region gets the
404 of a missing one.
"""

from __future__ import annotations

import re

import pytest

from fieldcrm.attachments.models import Attachment, PhotoUpload
from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.harness.photos import camera_jpeg

pytestmark = pytest.mark.browser

DRAWN = """(selector) => [...document.querySelectorAll(selector)]
  .every((img) => img.complete && img.naturalWidth > 0)"""
PHOTOS_IN_IDB = """async () => (await globalThis.fieldcrm.db.allPhotos())
  .map((p) => ({kind: p.kind, status: p.status, size: p.size, blob: p.blob ? p.blob.size : null,
                upload: p.upload_id, error: p.error}))"""


def test_photos_taken_offline_upload_once_after_the_visit_resume_and_show(phones, laptops, world):
    shop = make_account("Botiga Foto", lng=1.0500, lat=42.0500, status="customer")
    phone = phones()
    phone.context.set_default_timeout(60_000)  # a loaded 2-core machine starts slowly
    phone.allowed_errors.append(r"Failed to load resource: net::ERR_FAILED")
    phone.login("rep1")
    page = phone.page
    shots = [camera_jpeg(page, seed, 2000, 1500) for seed in (7, 8)]
    assert all(len(shot) > 1_000_000 for shot in shots)

    phone.context.set_offline(True)
    page.evaluate("(hash) => { location.hash = hash; }", f"#/visit/{shop.pk}")
    page.locator("#checkin-status.fix-ok, #checkin-status.fix-far").wait_for()
    for i, (kind, shot) in enumerate(zip(("shelf", "damage"), shots, strict=True), start=1):
        page.get_by_label("Kind of photo").select_option(kind)
        page.locator("#photo-input").set_input_files(
            files=[{"name": f"IMG_{i}.jpg", "mimeType": "image/jpeg", "buffer": shot}]
        )
        page.locator(f"#photo-list[data-count='{i}']").wait_for()
    # A third, taken by mistake, removed before the visit is saved.
    page.get_by_label("Kind of photo").select_option("display")
    page.locator("#photo-input").set_input_files(
        files=[
            {
                "name": "IMG_3.jpg",
                "mimeType": "image/jpeg",
                "buffer": camera_jpeg(page, 9, 400, 300),
            }
        ]
    )
    page.locator("#photo-list[data-count='3']").wait_for()
    page.get_by_role("button", name="Remove photo 3: Display").click()
    page.locator("#photo-list[data-count='2']").wait_for()
    assert page.get_by_role("img", name="Photo 1: Shelf").is_visible()
    assert page.get_by_role("img", name="Photo 2: Damage").is_visible()
    assert page.get_by_role("button", name="Remove photo 2: Damage").is_visible()
    # The thumbnails (object URLs) are drawn under the app's CSP.
    page.wait_for_function(DRAWN, arg="#photo-list img")
    kept = page.evaluate(PHOTOS_IN_IDB)
    assert sorted(p["kind"] for p in kept) == ["damage", "shelf"]
    assert all(64 * 1024 < p["size"] <= 480 * 1024 and p["blob"] == p["size"] for p in kept), kept
    page.get_by_label("Follow-up needed").check()
    page.get_by_role("button", name="Save visit").click()
    page.get_by_role("heading", name="Today").wait_for()
    phone.wait_pending(1)
    assert [p["status"] for p in page.evaluate(PHOTOS_IN_IDB)] == ["waiting", "waiting"]
    page.evaluate("(hash) => { location.hash = hash; }", f"#/account/{shop.pk}")
    page.locator(".photo-status").filter(has_text="Photos: 2 waiting").wait_for()

    # Online: the server counts what reaches it; one part's answer is lost on the way back.
    seen = {"created": 0, "parts": [], "lost": 0, "conflicts": 0}

    def watch(route):
        request = route.request
        if request.method == "POST":
            seen["created"] += 1
        if request.method != "PATCH":
            route.continue_()
            return
        response = route.fetch()  # the server takes the part...
        body = request.post_data_buffer or b""
        seen["parts"].append((request.url, request.headers.get("upload-offset"), len(body)))
        seen["conflicts"] += response.status == 409
        if len(seen["parts"]) == 3 and not seen["lost"]:
            seen["lost"] += 1
            route.abort()  # ...and the phone never hears back
            return
        route.fulfill(response=response)

    page.route(re.compile(r"/api/v1/photos(/[^/]+)?$"), watch)
    phone.synced_after(lambda: phone.context.set_offline(False))
    visit = Visit.objects.get(account=shop)
    page.wait_for_function("() => document.documentElement.dataset.photosSent === '2'")
    uploads = list(PhotoUpload.objects.filter(visit=visit))
    assert len(uploads) == 2 and all(u.attachment_id for u in uploads)
    photos = Attachment.objects.filter(visit=visit).order_by("pk")
    assert sorted(u.kind for u in uploads) == ["damage", "shelf"]
    sizes = sorted(p.size for p in photos)
    assert sizes == sorted(p["size"] for p in kept)
    # Each photo created once; each byte received once; the lost answer cost no re-send.
    assert seen["created"] == 2
    assert seen["lost"] == 1 and seen["conflicts"] == 0
    assert sum(n for *_, n in seen["parts"]) == sum(sizes), seen["parts"]
    assert len(set(seen["parts"])) == len(seen["parts"])
    done = page.evaluate(PHOTOS_IN_IDB)
    assert [(p["status"], p["blob"]) for p in done] == [("sent", None), ("sent", None)]
    page.locator(".photo-status").filter(has_text="Photos: 2 sent").wait_for()

    # The manager sees both on the visit's entry of the timeline, drawn under the CSP.
    desk = laptops("manager", f"/crm/accounts/{shop.pk}/")
    thumbs = desk.locator("#timeline img.visit-photo")
    assert thumbs.count() == 2
    assert sorted(thumbs.evaluate_all("(els) => els.map((e) => e.alt)")) == [
        "Visit photo: damage", "Visit photo: shelf",
    ]  # fmt: skip
    desk.wait_for_function(DRAWN, arg="img.visit-photo")
    url = thumbs.first.get_attribute("src")
    # Another region's rep: the 404 of a missing photo.
    other = laptops("rep3", "/crm/accounts/")
    assert other.goto(other.url.split("/crm/")[0] + url).status == 404
