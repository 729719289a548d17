"""A lost phone: once its user's access is revoked, the phone wipes its data the next time it
reaches the server, and says how many unsent changes went with it. An ordinary ended session
keeps everything, and the outbox is sent after the next login (issue 15 item 4)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from fieldcrm.users.services import user_revoke_access
from fieldcrm.visits.models import Visit

pytestmark = pytest.mark.browser

STORES = """async () => {
    const names = (await indexedDB.databases()).map((d) => d.name);
    return { databases: names, caches: await caches.keys() };
}"""


def _offline_visit(phone, shop: str) -> None:
    phone.context.set_offline(True)
    phone.page.locator("#net-status", has_text="Offline").wait_for()
    phone.log_visit(shop, "Order taken", "written offline")
    phone.wait_pending(1)


def test_a_revoked_phone_wipes_its_data_and_says_what_was_lost(phones, route_today, world):
    phone = phones()
    phone.allowed_errors.append("401")  # the browser logs the refused request
    phone.login("rep1")
    page = phone.page
    assert "fieldcrm" in page.evaluate(STORES)["databases"]
    _offline_visit(phone, route_today[0].name)
    before = Visit.objects.filter(status="done").count()

    user_revoke_access(user=world.rep1)
    phone.context.set_offline(False)  # the phone reaches the server: told "revoked"
    banner = page.get_by_role("alert").filter(has_text="Access revoked")
    banner.wait_for()
    assert "1 changes not yet sent were deleted" in banner.inner_text()
    page.wait_for_function("document.documentElement.dataset.revoked === '1'")
    left = page.evaluate(STORES)
    assert "fieldcrm" not in left["databases"]
    assert all("precache" in name for name in left["caches"]), left["caches"]
    assert Visit.objects.filter(status="done").count() == before
    # Nothing of the rep's data is on screen; the way back is a new login.
    assert page.get_by_role("link", name="Log in again").get_attribute("href").startswith("/login/")
    assert page.locator("#nav").is_hidden()


def test_an_ended_session_keeps_the_data_and_sends_the_outbox_after_login(
    phones, route_today, world
):
    phone = phones()
    phone.allowed_errors.append("401")
    phone.login("rep1")
    page = phone.page
    _offline_visit(phone, route_today[0].name)

    Session.objects.all().delete()  # the session expired on the server
    phone.context.set_offline(False)
    page.locator("#net-status", has_text="Log in again").wait_for()
    assert phone.pending() == 1
    assert "fieldcrm" in page.evaluate(STORES)["databases"]
    assert not Visit.objects.filter(notes="written offline").exists()

    phone.login("rep1")  # the same rep logs in again: the outbox goes out
    assert Visit.objects.filter(notes="written offline").count() == 1
