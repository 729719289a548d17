"""Calls and messages from outside in Chromium (issue 18): an admin sets up a PBX on the
settings page (its secret shown once); the account's owner has the workspace open; the local
PBX script (deploy/asterisk/fieldcrm-call-event.py, a real signed HTTP POST to the live
server) posts a ringing event and the popup appears with the account's link; the ended event
logs the call on the timeline with its duration and recording; a messenger message from an
unknown number makes a lead, and the owner replies from its page."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fieldcrm.accounts.models import Account
from fieldcrm.automation.webhooks import sign
from fieldcrm.integrations.models import Integration, Message
from tests.factories import make_account

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[2] / "deploy/asterisk/fieldcrm-call-event.py"


def pbx_script(url: str, secret: str, event: str, *extra: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--url", url, "--secret", secret, "--event", event,
         "--call-id", "1733050000.42", "--caller", "+358 40 123 4567", "--callee", "200", *extra],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_call_pops_up_for_the_owner_and_is_logged_and_a_message_makes_a_lead(
    laptops, world, live_server
):
    shop = make_account("Corner Shop", phone="040-123 4567", owner=world.rep1)
    admin = laptops("admin", "/crm/settings/")
    admin.get_by_role("link", name="Telephony and messengers").click()
    admin.get_by_label("Kind").select_option("pbx")
    admin.get_by_label("Name").fill("Asterisk <office>")
    admin.locator("#integration-submit").click()
    secret = admin.locator("#secret").inner_text()
    url = admin.locator("#post-url").inner_text()
    assert url.startswith(live_server.url) and url.endswith("/calls")
    admin.goto(admin.url)  # shown once: a second look does not show it
    assert admin.locator("#secret").count() == 0

    rep = laptops("rep1", "/crm/accounts/")
    assert pbx_script(url, secret, "ringing")["account_id"] == str(shop.pk)
    rep.evaluate("window.dispatchEvent(new Event('focus'))")  # the 15 s poll, at once
    popup = rep.locator(".call-toast")
    popup.wait_for()
    assert "Incoming call from +358 40 123 4567 (Corner Shop)" in popup.inner_text()
    assert rep.locator("#bell-count").inner_text() == "1"
    popup.locator("a.call-account").click()
    rep.wait_for_url(f"**/crm/accounts/{shop.pk}/")

    ended = pbx_script(url, secret, "ended", "--duration", "80",
                       "--recording-url", "https://pbx.example/rec/42.wav?a=1&b=<x>")  # fmt: skip
    again = pbx_script(url, secret, "ended", "--duration", "80",
                       "--recording-url", "https://pbx.example/rec/42.wav?a=1&b=<x>")  # fmt: skip
    assert ended["activity_id"] and again["activity_id"] == ended["activity_id"]
    rep.reload()
    entries = rep.locator("#timeline-list li[data-kind=call]")
    assert entries.count() == 1
    assert "1:20" in entries.inner_text() and "Incoming" in entries.inner_text()
    link = entries.locator("a.call-recording")
    assert link.get_attribute("href") == "https://pbx.example/rec/42.wav?a=1&b=<x>"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"

    zalo = Integration.objects.create(kind="messenger", name="Zalo", default_owner=world.rep1,
                                      reply_url="http://127.0.0.1:9/replies")  # fmt: skip
    body = json.dumps({"message_id": "z-1", "channel": "zalo", "sender_id": "+84 90 765 4321",
                       "sender_name": "Anh Tuấn", "text": "Giá bao nhiêu?"}).encode()  # fmt: skip
    stamp = int(time.time())
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/integrations/{zalo.pk}/messages", data=body, method="POST",
        headers={"Content-Type": "application/json", "FieldCRM-Timestamp": str(stamp),
                 "FieldCRM-Signature": sign(zalo.secret, stamp, body)},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        made = json.loads(answer.read())
    assert made["lead_created"]
    lead = Account.objects.get(pk=made["account_id"])
    assert lead.status == "lead"
    rep.goto(f"{live_server.url}/crm/accounts/{lead.pk}/")
    message = rep.locator("#timeline-list li[data-kind=message]")
    assert "Giá bao nhiêu?" in message.inner_text()
    rep.locator("#reply-text").fill("Dạ, 20.000đ ạ")
    rep.locator("#reply-submit").click()
    rep.get_by_text("Reply queued").wait_for()
    assert rep.locator("#timeline-list li[data-kind=message]").count() == 2
    assert Message.objects.filter(direction="out", account=lead).count() == 1
