import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { logVisit } from "../static/pwa/js/actions.js";
import { getRecord, putRecord } from "../static/pwa/js/db.js";
import { nextBatch } from "../static/pwa/js/outbox.js";
import { todayStops } from "../static/pwa/js/screens/today.js";
import { plannedToday } from "../static/pwa/js/screens/visit-form.js";
import { todayIso } from "../static/pwa/js/ui.js";
import { freshPhone } from "./helpers.js";

beforeEach(freshPhone);

const account = { id: "acc-1", name: "Bakery", location: { lat: 42.05, lng: 1.05 } };
const me = { id: 1 };
const checkIn = { location: { lat: 42.0501, lng: 1.05 }, accuracy_m: 12, at: "2026-11-24T09:05:00.000Z" };
const planned = {
  id: "11111111-1111-4111-8111-111111111111", account_id: "acc-1", account_name: "Bakery",
  rep_id: 1, status: "planned", scheduled_on: "2026-11-24", route_sequence: 1, version: 3,
  outcome: "", notes: "", completed_at: null, checked_in_at: null,
}; // prettier-ignore

test("logging a planned stop edits that stop's visit: one update, no new visit", async () => {
  await putRecord("visits", planned);
  const record = await logVisit({
    account, me, checkIn, outcome: "order", notes: "Two boxes", stop: planned,
    nextStep: { title: "Call back", due_at: null },
  }); // prettier-ignore
  assert.equal(record.id, planned.id);
  const [mutation] = await nextBatch();
  assert.equal(mutation.entity, "visit");
  assert.equal(mutation.action, "update");
  assert.equal(mutation.id, planned.id);
  assert.equal(mutation.base_version, 3);
  assert.deepEqual(mutation.changes.status, { old: "planned", new: "done" });
  assert.deepEqual(mutation.changes.outcome, { old: "", new: "order" });
  assert.deepEqual(mutation.changes.notes, { old: "", new: "Two boxes" });
  assert.deepEqual(mutation.changes.check_in, { old: null, new: checkIn });
  assert.deepEqual(mutation.changes.next_step, { old: null, new: { title: "Call back", due_at: null } });
  assert.equal(mutation.changes.completed_at.old, null);
  const local = await getRecord("visits", planned.id);
  assert.equal(local.status, "done");
  assert.equal(local.checked_in_at, checkIn.at);
  assert.equal(local._pending, true);
  // Today shows the stop itself as done (no Log visit any more).
  const [stop] = todayStops([local], 1, "2026-11-24");
  assert.equal(stop.logged.id, planned.id);
});

test("a log without a stop (or of a stop already done) stays one create of a new visit", async () => {
  await logVisit({ account, me, checkIn: null, outcome: "", notes: "walk-in", nextStep: null });
  await logVisit({ account, me, checkIn: null, outcome: "", notes: "again", nextStep: null, stop: { ...planned, status: "done" } });
  const batch = await nextBatch();
  assert.deepEqual(batch.map((m) => m.action), ["create", "create"]);
  assert.ok(batch.every((m) => m.id !== planned.id && m.fields.status === "done"));
});

test("a stop logged without outcome, notes or fix sends only status and completion time", async () => {
  await logVisit({ account, me, checkIn: null, outcome: "", notes: "", nextStep: null, stop: planned });
  const [mutation] = await nextBatch();
  assert.deepEqual(Object.keys(mutation.changes).sort(), ["completed_at", "status"]);
});

test("from the account page, the log completes my planned stop of that account today", async () => {
  const today = todayIso();
  await putRecord("visits", { ...planned, scheduled_on: today });
  await putRecord("visits", { ...planned, id: "other-rep", rep_id: 2, scheduled_on: today });
  await putRecord("visits", { ...planned, id: "yesterday", scheduled_on: "2000-01-01" });
  assert.equal((await plannedToday("acc-1", me))?.id, planned.id);
  assert.equal(await plannedToday("acc-2", me), null);
  await putRecord("visits", { ...planned, scheduled_on: today, status: "done" });
  assert.equal(await plannedToday("acc-1", me), null);
});
