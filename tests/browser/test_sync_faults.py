"""Issue 7, the phone's side: scenarios 5, 11 and 12 in Debian's chromium (Playwright).

The work is queued through the app's own modules (actions.js / outbox.js, which the bundle
exposes as ``window.fieldcrm``), exactly as its screens queue it, so hundreds of items do not
cost hundreds of taps; the UI path is covered by test_phone_app.py. "Restarts" close the whole
persistent browser profile and launch it again (IndexedDB, cookies and the service worker live
on disk), offline.
Sizes: ``FIELDCRM_FAULT_SCALE`` (make test: 0.1 for scenario 5; bench/sync_faults.py
--browser runs the full sizes with 1.0).
"""

from __future__ import annotations

import math
import os
import re

import pytest
from django.contrib.sessions.models import Session

from fieldcrm.accounts.models import Account, Activity
from fieldcrm.sync.models import AppliedOp
from fieldcrm.visits.models import Visit
from tests.harness.browser import Phone, Profile

# The sync is the database's work: these walks run on PostGIS too.
pytestmark = [pytest.mark.browser, pytest.mark.both_databases]

SCALE = float(os.environ.get("FIELDCRM_FAULT_SCALE", "0.1"))
DRAIN_MS = 600_000

QUEUE_DAY = """async ({visits, prospects, edits, tag}) => {
  const { actions, db, outbox } = window.fieldcrm;
  const me = await db.getMeta("me", null);
  const accounts = (await db.allRecords("accounts")).filter((a) => a.status === "customer");
  for (let i = 0; i < visits; i++) {
    const account = accounts[i % accounts.length];
    const checkIn = {location: account.location, accuracy_m: 9, at: new Date().toISOString()};
    const nextStep = i % 10 === 0 ? {title: `${tag} call ${i}`, due_at: null} : null;
    await actions.logVisit({account, me, checkIn, outcome: "order", notes: `${tag} visit ${i}`,
                            nextStep});
  }
  for (let i = 0; i < prospects; i++) {
    await actions.createProspect({name: `${tag} prospect ${i}`,
      location: {lat: 42.01 + (i % 50) * 0.0015, lng: 1.01 + (i % 7) * 0.01}});
  }
  for (let i = 0; i < edits; i++) {
    await actions.editAccount(accounts[i % accounts.length].id, {phone: `${tag}-${i}`});
  }
  return outbox.counts();
}"""

QUEUE_NOTES = """async ({count, accountId, tag}) => {
  const { outbox } = window.fieldcrm;
  for (let i = 0; i < count; i++) {
    const id = outbox.newId();
    await outbox.enqueue({entity: "activity", action: "create", id,
                          fields: {account_id: accountId, kind: "note", subject: `${tag} ${i}`}});
  }
  return outbox.counts();
}"""


def counts(phone: Phone) -> dict:
    return phone.page.evaluate("() => window.fieldcrm.outbox.counts()")


@pytest.fixture
def profile(browser, live_server, settings, tmp_path):
    settings.FIELDCRM_TILE_URL = ""
    prof = Profile(browser, live_server.url, tmp_path / "profile")
    yield prof
    prof.close()
    prof.check()


def test_5_a_long_offline_day_with_two_restarts_applies_exactly_once(profile, route_today, world):
    visits, prospects, edits = (max(3, round(n * SCALE)) for n in (500, 50, 100))
    total = visits + prospects + edits
    phone = profile.launch()
    phone.login("rep1")
    phone.context.set_offline(True)
    phone.page.locator("#net-status", has_text="Offline").wait_for()
    # The day in three parts, the phone restarted (offline) between them.
    parts = [(visits // 3, prospects // 3, edits // 3)] * 2
    parts.append(
        (visits - 2 * (visits // 3), prospects - 2 * (prospects // 3), edits - 2 * (edits // 3))
    )
    queued = 0
    for i, (v, p, e) in enumerate(parts):
        if i:
            phone = profile.restart(offline=True)
            assert counts(phone)["pending"] == queued, "the outbox did not survive the restart"
        got = phone.page.evaluate(
            QUEUE_DAY, {"visits": v, "prospects": p, "edits": e, "tag": f"day{i}"}
        )
        queued += v + p + e
        assert got == {"pending": queued, "rejected": 0}
    assert not AppliedOp.objects.exists()  # nothing left the phone while offline
    phone.context.set_offline(False)
    phone.wait_synced(timeout=DRAIN_MS)
    assert counts(phone) == {"pending": 0, "rejected": 0}
    ops = AppliedOp.objects.filter(user=world.rep1)
    assert ops.count() == total
    assert set(ops.values_list("status", flat=True)) == {"applied"}
    assert Visit.objects.filter(status="done", notes__startswith="day").count() == visits
    assert Activity.objects.filter(kind="visit", visit__notes__startswith="day").count() == visits
    assert Account.objects.filter(name__contains=" prospect ").count() == prospects
    # The edits applied in order: each shop ends with the last phone number typed for it.
    shops = Account.objects.filter(status="customer").order_by("name")
    assert all(s.phone.startswith("day2-") for s in shops[: min(3, parts[2][2])])


def test_11_session_expired_while_offline_keeps_the_outbox(phones, route_today, world):
    phone = phones()
    phone.allowed_errors += [r"status of 401", r"Failed to load resource"]
    phone.login("rep1")
    phone.context.set_offline(True)
    phone.page.locator("#net-status", has_text="Offline").wait_for()
    got = phone.page.evaluate(QUEUE_DAY, {"visits": 3, "prospects": 1, "edits": 2, "tag": "s11"})
    assert got == {"pending": 6, "rejected": 0}
    Session.objects.all().delete()  # the session expires while the phone is away
    phone.context.set_offline(False)
    phone.page.wait_for_function(
        "() => document.querySelector('#sync-indicator .dot-auth') !== null", timeout=30_000
    )
    assert counts(phone) == {"pending": 6, "rejected": 0}  # the 401 settled nothing
    assert not AppliedOp.objects.exists()
    phone.page.reload()  # the app notices and sends the rep to the login page
    phone.page.wait_for_url(re.compile(r"/login/"))
    phone.login("rep1")  # then every item applies, once
    phone.wait_synced(timeout=60_000)
    assert counts(phone) == {"pending": 0, "rejected": 0}
    assert AppliedOp.objects.filter(user=world.rep1, status="applied").count() == 6
    assert Visit.objects.filter(notes__startswith="s11").count() == 3
    assert Account.objects.filter(name="s11 prospect 0").count() == 1


def test_12_a_huge_outbox_survives_a_reload_and_drains_in_batches(phones, route_today, world):
    count = max(600, round(10_000 * SCALE))  # > one batch of 500 even in make test
    phone = phones()
    phone.login("rep1")
    pushes: list[int] = []
    phone.page.on(
        "request",
        lambda r: (
            pushes.append(len(r.post_data_json["mutations"]))
            if r.url.endswith("/api/v1/sync/push")
            else None
        ),
    )
    phone.context.set_offline(True)
    phone.page.locator("#net-status", has_text="Offline").wait_for()
    got = phone.page.evaluate(
        QUEUE_NOTES, {"count": count, "accountId": str(route_today[0].pk), "tag": "bulk"}
    )
    assert got == {"pending": count, "rejected": 0}
    phone.page.reload()
    phone.wait_ready()
    assert counts(phone) == {"pending": count, "rejected": 0}
    phone.context.set_offline(False)
    phone.wait_synced(timeout=DRAIN_MS)
    assert Activity.objects.filter(subject__startswith="bulk ").count() == count
    assert AppliedOp.objects.filter(user=world.rep1, status="applied").count() == count
    assert len(pushes) >= math.ceil(count / 500) and max(pushes) <= 500, pushes
    assert sum(pushes) == count, pushes  # each item sent once: no answer was lost here
