// Issue 21: time on site (check-in → check-out, the visit left open), the card's rules (status
// moves, custom-field widgets read as the server checks them) and the card's outbox mutations.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { mergeCustomFields, nextStatuses, readCustomValue } from "../static/pwa/js/account-rules.js";
import { checkIn, checkOut, createTask, editAccount, logActivity } from "../static/pwa/js/actions.js";
import { getRecord, putRecord } from "../static/pwa/js/db.js";
import { closeTimes, formatDuration, minutesOf, openVisits, timeOnSiteMs } from "../static/pwa/js/onsite.js";
import { nextBatch } from "../static/pwa/js/outbox.js";
import { freshPhone } from "./helpers.js";

beforeEach(freshPhone);

const IN = "2026-12-01T09:00:00.000Z";

test("time on site runs to now while open and stops at the check-out", () => {
  const open = { checked_in_at: IN, checked_out_at: null };
  assert.equal(timeOnSiteMs(open, Date.parse("2026-12-01T09:07:05Z")), 425_000);
  assert.equal(timeOnSiteMs({ ...open, checked_out_at: "2026-12-01T09:23:00Z" }, Date.parse("2026-12-02T00:00:00Z")), 23 * 60_000);
  assert.equal(timeOnSiteMs({ checked_in_at: null }), null);
  // A clock that went back never shows a negative time.
  assert.equal(timeOnSiteMs(open, Date.parse("2026-12-01T08:00:00Z")), 0);
});

test("the running clock reads hours:minutes:seconds, and minutes round as the server's pages", () => {
  assert.equal(formatDuration(425_000), "0:07:05");
  assert.equal(formatDuration(12 * 3600_000), "12:00:00");
  assert.equal(formatDuration(null), "");
  assert.equal(formatDuration(-5), "");
  assert.equal(minutesOf(29_999), 0);
  assert.equal(minutesOf(90_000), 2);
});

test("an open visit is mine, checked in, not checked out, not logged or cancelled", () => {
  const visits = [
    { id: "a", rep_id: 7, status: "planned", checked_in_at: "2026-12-01T10:00:00Z", checked_out_at: null },
    { id: "b", rep_id: 7, status: "planned", checked_in_at: IN, checked_out_at: null },
    { id: "c", rep_id: 7, status: "done", checked_in_at: IN, checked_out_at: null },
    { id: "d", rep_id: 7, status: "planned", checked_in_at: IN, checked_out_at: "2026-12-01T09:10:00Z" },
    { id: "e", rep_id: 8, status: "planned", checked_in_at: IN, checked_out_at: null },
    { id: "f", rep_id: 7, status: "cancelled", checked_in_at: IN },
    { id: "g", rep_id: 7, status: "planned", checked_in_at: null },
  ];
  assert.deepEqual(openVisits(visits, 7).map((v) => v.id), ["b", "a"]);
});

test("a visit left open may close at the last moment in use, never before its check-in", () => {
  const now = new Date("2026-12-01T18:00:00Z");
  const visit = { checked_in_at: IN };
  assert.deepEqual(closeTimes(visit, "2026-12-01T09:40:00.000Z", now), { lastKnown: "2026-12-01T09:40:00.000Z", now: now.toISOString() });
  assert.equal(closeTimes(visit, "2026-12-01T08:59:00Z", now).lastKnown, null);
  assert.equal(closeTimes(visit, null, now).lastKnown, null);
  assert.equal(closeTimes(visit, "2026-12-01T19:00:00Z", now).lastKnown, null); // a clock ahead
});

test("status moves are the server's lifecycle: a customer never goes back to lead", () => {
  assert.deepEqual(nextStatuses("lead"), ["prospect", "customer", "disqualified"]);
  assert.deepEqual(nextStatuses("customer"), ["churned"]);
  assert.deepEqual(nextStatuses("nonsense"), []);
});

test("custom-field widgets read values as the server checks them", () => {
  const number = { key: "shelves", kind: "number", min_value: 1, max_value: 40 };
  assert.deepEqual(readCustomValue(number, "12"), { value: 12 });
  assert.deepEqual(readCustomValue(number, "2,5"), { value: 2.5 });
  assert.deepEqual(readCustomValue(number, "0"), { error: "cf_at_least", params: { min: 1 } });
  assert.deepEqual(readCustomValue(number, "41"), { error: "cf_at_most", params: { max: 40 } });
  assert.deepEqual(readCustomValue(number, "lots"), { error: "cf_expected_number" });
  assert.deepEqual(readCustomValue(number, " "), { value: null });
  assert.deepEqual(readCustomValue({ ...number, is_required: true }, ""), { error: "cf_required" });
  const date = { key: "opened", kind: "date" };
  assert.deepEqual(readCustomValue(date, "2026-02-28"), { value: "2026-02-28" });
  assert.deepEqual(readCustomValue(date, "2026-02-30"), { error: "cf_expected_date" });
  assert.deepEqual(readCustomValue(date, "28/02/2026"), { error: "cf_expected_date" });
  const choice = { key: "size", kind: "choice", choices: ["small", "large", 3] };
  assert.deepEqual(readCustomValue(choice, "large"), { value: "large" });
  assert.deepEqual(readCustomValue(choice, "3"), { value: 3 }); // the choice as the admin typed it
  assert.deepEqual(readCustomValue(choice, "huge"), { error: "cf_expected_choice" });
  assert.deepEqual(readCustomValue({ key: "ok", kind: "boolean" }, true), { value: true });
  assert.deepEqual(readCustomValue({ key: "ok", kind: "boolean" }, false), { value: false });
  assert.deepEqual(readCustomValue({ key: "note", kind: "text" }, "  hi "), { value: "hi" });
});

test("merging custom fields drops cleared keys and tells whether anything changed", () => {
  assert.deepEqual(mergeCustomFields({ a: 1, b: "x" }, { a: 1, b: null, c: true }), { merged: { a: 1, c: true }, changed: true });
  assert.deepEqual(mergeCustomFields({ a: 1 }, { a: 1, z: null }), { merged: { a: 1 }, changed: false });
});

const account = { id: "acc-1", name: "Shop", status: "lead", location: { lat: 42.05, lng: 1.05 }, version: 3, custom_fields: { size: "small", old: 2 } };
const me = { id: 7, username: "rep1" };

test("check in, then check out: one create and one edit of the same visit", async () => {
  await putRecord("accounts", account);
  const visit = await checkIn({ account, me, checkIn: { location: { lat: 42.0501, lng: 1.05 }, accuracy_m: 8, fix_at: IN, at: IN } });
  assert.equal(visit.status, "planned");
  assert.equal((await getRecord("visits", visit.id)).checked_in_at, IN);
  await checkOut({ account, visit, at: "2026-12-01T09:23:00.000Z", outcome: "order" });
  const [create, update] = await nextBatch();
  assert.equal(create.action, "create");
  assert.deepEqual(create.fields.check_in.at, IN);
  assert.equal(update.action, "update");
  assert.equal(update.id, create.id);
  assert.equal(update.base_version, undefined, "a visit not yet on the server has no base version");
  assert.deepEqual(update.changes.checked_out_at, { old: null, new: "2026-12-01T09:23:00.000Z" });
  assert.deepEqual(update.changes.status, { old: "planned", new: "done" });
  const local = await getRecord("visits", visit.id);
  assert.equal(timeOnSiteMs(local), 23 * 60_000);
});

test("the card's call, status, custom fields and task are one mutation each", async () => {
  await putRecord("accounts", account);
  await logActivity({ account, me, kind: "call", subject: "Price list", body: "Wants the new one" });
  await editAccount(account.id, { status: "prospect" });
  await editAccount(account.id, { custom_fields: { size: "large", old: null } });
  await createTask({ account, me, title: "Send price list", kind: "email", due_at: null });
  const batch = await nextBatch();
  assert.deepEqual(batch.map((m) => [m.entity, m.action]), [
    ["activity", "create"], ["account", "update"], ["account", "update"], ["task", "create"],
  ]);
  assert.deepEqual(batch[0].fields.kind, "call");
  assert.deepEqual(batch[1].changes, { status: { old: "lead", new: "prospect" } });
  assert.deepEqual(batch[2].changes.custom_fields.new, { size: "large", old: null });
  assert.equal(batch[3].fields.account_id, account.id);
  const shown = await getRecord("accounts", account.id);
  assert.deepEqual(shown.custom_fields, { size: "large" }, "a cleared field is gone from the card");
  assert.equal(shown.status, "prospect");
});
