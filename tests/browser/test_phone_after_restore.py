"""Issue 23 on a real phone (chromium): a visit the server acknowledged, then lost to a restore
from an older backup, comes back once when the phone next syncs; and a phone whose IndexedDB
is the previous version's, with a change still in its outbox, upgrades and sends it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from fieldcrm.accounts.models import Activity
from fieldcrm.backups import services
from fieldcrm.core.models import sync_epoch
from fieldcrm.visits.models import Visit
from tests.fieldcrm.sync.test_sync import pull_all

# The phone's current IndexedDB version (pwa/static/pwa/js/db.js): the upgrade lands on it.
DB_VERSION = int(
    re.search(
        r"DB_VERSION = (\d+)",
        (Path(__file__).resolve().parents[2] / "pwa/static/pwa/js/db.js").read_text(),
    ).group(1)  # type: ignore[union-attr]
)

pytestmark = pytest.mark.browser

SECRET = "phone after restore"

# What the phone holds, store by store: ids and versions (local-only fields left out).
PHONE_VIEW = """async () => {
  const { db } = window.fieldcrm;
  const view = {};
  for (const store of ["accounts", "contacts", "activities", "visits", "tasks", "notifications"]) {
    const rows = await db.allRecords(store);
    if (rows.length) view[store] = Object.fromEntries(rows.map((r) => [r.id, r.version ?? null]));
  }
  const journal = (await db.journalEntries()).length;
  return { view, epoch: await db.getMeta("epoch", null), journal };
}"""


def resynced(page, epoch: str, timeout_s: float = 30) -> None:
    """Until the phone has met ``epoch`` and finished its full pull (the sweep clears
    ``resync``). Polled from here: ``evaluate`` awaits the page's promises."""
    deadline = time.monotonic() + timeout_s
    while page.evaluate(RESYNCED, epoch) is not True:
        assert time.monotonic() < deadline, "the phone never finished its pull after the restore"
        time.sleep(0.2)


RESYNCED = """async (epoch) => {
  const { db } = window.fieldcrm;
  return (await db.getMeta("epoch", null)) === epoch && (await db.getMeta("resync", null)) === null;
}"""


def test_a_visit_lost_to_a_restore_comes_back_once(
    phones, route_today, world, as_user, settings, tmp_path
):
    phone = phones()
    phone.allowed_errors += [r"status of 40[13]", r"Failed to load resource"]
    phone.login("rep1")
    # The archive's files (secret key, push keys) come from and go back to a folder of its own.
    settings.VAR_DIR = tmp_path / "var"
    settings.FIELDCRM_BACKUP_DIR = tmp_path / "backups"
    before = phone.page.evaluate(PHONE_VIEW)
    assert before["epoch"] == sync_epoch()
    archive = services.backup_create(passphrase=SECRET, progress=lambda _m: None)

    # Logged online and acknowledged: the server has it, the backup does not.
    stop = route_today[0]
    planned = Visit.objects.get(account=stop, rep=world.rep1)
    phone.synced_after(lambda: phone.log_visit(stop.name, "Order taken", "after the backup"))
    assert Visit.objects.get(pk=planned.pk).status == "done"

    services.backup_restore(path=archive, passphrase=SECRET, force=True, progress=lambda _m: None)
    assert not Visit.objects.filter(notes="after the backup").exists()
    assert sync_epoch() != before["epoch"]

    # The restore ended the session: the rep logs in again, and the phone syncs.
    phone.page.reload()
    phone.page.wait_for_url(re.compile(r"/login/"))
    phone.login("rep1")
    resynced(phone.page, sync_epoch())
    after = phone.page.evaluate(PHONE_VIEW)
    assert after["epoch"] == sync_epoch()
    visit = Visit.objects.get(notes="after the backup")  # exactly one
    assert visit.pk == planned.pk and visit.status == "done"
    assert Activity.objects.filter(kind="visit", visit=visit).count() == 1
    fresh, _cursor = pull_all(as_user("rep1"))
    expected = {
        plural: {row["id"]: row.get("version") for row in rows}
        for plural, rows in fresh["changes"].items()
        if rows
    }
    assert after["view"] == expected


OLD_PHONE = """async ({ me, accountId }) => {
  // The previous release's store layout (db.js, DB_VERSION 2), with one change still queued.
  const open = indexedDB.open("fieldcrm", 2);
  open.onupgradeneeded = () => {
    const d = open.result;
    for (const name of ["accounts", "contacts", "activities", "visits", "tasks"]) {
      const store = d.createObjectStore(name, { keyPath: "id" });
      if (name !== "accounts") store.createIndex("account_id", "account_id");
    }
    const outbox = d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
    outbox.createIndex("op_id", "op_id", { unique: true });
    outbox.createIndex("record_id", "id");
    d.createObjectStore("meta");
    d.createObjectStore("notifications", { keyPath: "id" });
  };
  const d = await new Promise((resolve, reject) => {
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const tx = d.transaction(["outbox", "meta", "activities"], "readwrite");
  const id = crypto.randomUUID();
  tx.objectStore("outbox").add({
    op_id: crypto.randomUUID(), entity: "activity", action: "create", id, base_version: null,
    fields: { account_id: accountId, kind: "note", subject: "queued before the upgrade" },
    changes: {}, status: "pending", queued_at: new Date().toISOString(),
  });
  tx.objectStore("activities").put({ id, account_id: accountId, kind: "note",
    subject: "queued before the upgrade", _pending: true });
  tx.objectStore("meta").put(me, "me");
  tx.objectStore("meta").put(0, "cursor");
  await new Promise((resolve) => { tx.oncomplete = resolve; });
  d.close();
  return id;
}"""


def test_a_phone_on_the_previous_store_version_upgrades_and_sends_its_outbox(
    phones, route_today, world
):
    phone = phones()
    page = phone.page
    page.goto(f"{phone.base}/login/?next=/healthz")  # signed in, the app not opened yet
    page.get_by_label("Username").fill("rep1")
    page.get_by_label("Password").fill("pw-rep1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/healthz"))
    me = {"id": world.rep1.pk, "username": "rep1", "role": "rep"}
    note_id = page.evaluate(OLD_PHONE, {"me": me, "accountId": str(route_today[0].pk)})
    page.goto(f"{phone.base}/app/")
    phone.wait_ready()
    phone.wait_synced(timeout=30_000)
    assert page.evaluate("async () => (await window.fieldcrm.db.getDb()).version") == DB_VERSION
    assert Activity.objects.filter(pk=note_id, subject="queued before the upgrade").count() == 1
    assert page.evaluate("async () => (await window.fieldcrm.db.journalEntries()).length") == 1
