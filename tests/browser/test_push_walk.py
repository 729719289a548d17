"""The phone's service worker shows a push and opens its record; the phone's push switch.

Chromium cannot subscribe here (its push service is on the internet, and Playwright's contexts
are incognito, where Chromium has no Push API), so the push message is
handed to the installed service worker through the DevTools protocol
(``ServiceWorker.deliverPushMessage``): the bytes a push service would deliver after the
browser decrypted them. The payload is the server's own (``push.push_payload`` of a real
notification, rendered in the rep's language). What is checked: the worker's ``push`` handler
shows one notification with that title, body, language, direction and tag; the same message
again replaces it (one shown, not two); the click handler's function (Chromium has no DevTools
command to click a shown notification, so the test calls the function ``notificationclick``
runs) moves the open app to the record's screen. The encryption, the VAPID signature and the
push service's answers are proven in tests/fieldcrm/notifications/test_push.py instead.
"""

from __future__ import annotations

import json

import pytest

from fieldcrm.notifications import push
from fieldcrm.notifications.models import Delivery, NotificationSettings
from fieldcrm.notifications.services import notification_create
from tests.factories import make_account

pytestmark = pytest.mark.browser

SHOWN = """async () => {
  const reg = await navigator.serviceWorker.getRegistration('/app/');
  return (await reg.getNotifications()).map((n) => ({
    title: n.title, body: n.body, tag: n.tag, lang: n.lang, dir: n.dir, url: n.data.url,
  }));
}"""


def _registration_id(phone) -> tuple[object, str]:
    cdp = phone.context.new_cdp_session(phone.page)
    found: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: found.extend(
            r["registrationId"] for r in event["registrations"] if r["scopeURL"].endswith("/app/")
        ),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):  # the event arrives while Playwright waits on the page
        if found:
            break
        phone.page.wait_for_timeout(100)
    assert found, "the app's service worker registration was not reported"
    return cdp, found[0]


def test_a_push_shows_in_the_reps_language_once_and_opens_the_record(phones, world):
    account = make_account("Nhà sách Hòa Bình", owner=world.rep1)
    NotificationSettings.objects.create(user=world.rep1, language="fa")
    notification = notification_create(
        recipient=world.rep1, kind="account_visit_due",
        params={"name": account.name, "days": 30}, record=("account", account.pk),
    )  # fmt: skip
    payload = push.push_payload(Delivery(notification=notification))
    assert payload["dir"] == "rtl" and payload["url"] == f"/app/#/account/{account.pk}"

    phone = phones()
    phone.context.grant_permissions(["notifications"], origin=phone.base)
    phone.login("rep1")
    page = phone.page
    cdp, registration = _registration_id(phone)
    message = {"origin": phone.base, "registrationId": registration, "data": json.dumps(payload)}

    cdp.send("ServiceWorker.deliverPushMessage", message)
    shown = _wait_shown(page, 1)
    assert shown == [{
        "title": payload["title"], "body": payload["body"], "tag": str(notification.pk),
        "lang": "fa", "dir": "rtl", "url": f"/app/#/account/{account.pk}",
    }]  # fmt: skip
    assert "Nhà sách Hòa Bình" in shown[0]["title"]

    # The copy a server sends again after a worker died mid-send: same id, so it replaces.
    cdp.send("ServiceWorker.deliverPushMessage", message)
    assert len(_wait_shown(page, 1)) == 1

    page.goto(f"{phone.base}/app/#/today")
    (worker,) = phone.context.service_workers
    worker.evaluate(
        """async () => {
          const [shown] = await self.registration.getNotifications();
          shown.close();
          await self.fieldcrmOpenRecord(shown.data.url);
        }"""
    )
    page.wait_for_url(f"**/app/#/account/{account.pk}")
    page.get_by_role("heading", name="Nhà sách Hòa Bình").wait_for()
    assert _wait_shown(page, 0) == []


def _wait_shown(page, count: int) -> list[dict]:
    """The notifications the worker shows, once there are ``count`` of them."""
    for _ in range(50):
        shown = page.evaluate(SHOWN)
        if len(shown) == count:
            return shown
        page.wait_for_timeout(100)
    return shown


def test_the_push_switch_says_what_this_browser_can_do(phones, world):
    phone = phones()
    phone.context.grant_permissions(["notifications"], origin=phone.base)
    phone.login("rep1")
    page = phone.page
    page.goto(f"{phone.base}/app/#/more")
    toggle = page.get_by_label("Push notifications")
    assert not toggle.is_checked()
    assert page.locator("#push-status").inner_text() == "Off: reminders show in the bell only."
    # Here subscribing fails (Playwright's contexts are incognito, where Chromium has no Push
    # API, and its push service is on the internet anyway): the switch says so, stays off.
    phone.allowed_errors.append("does not support the Push API in incognito mode")
    toggle.check()
    page.wait_for_function(
        "() => document.getElementById('push-status').textContent.includes('push service')",
        timeout=30_000,
    )
    assert not toggle.is_checked()
