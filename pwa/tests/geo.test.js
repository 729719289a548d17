// Issue 14, defect 3: a check-in and a new prospect ask for a fresh GPS fix, keep the fix's own
// time, and without a fix record the position as missing (never guessed, never an old fix).

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { createProspect, logVisit } from "../static/pwa/js/actions.js";
import { getRecord } from "../static/pwa/js/db.js";
import { checkInOf, currentFix, FIX_TIMEOUT_MS } from "../static/pwa/js/geo.js";
import { nextBatch } from "../static/pwa/js/outbox.js";
import { freshPhone } from "./helpers.js";

beforeEach(freshPhone);

const MEASURED = Date.UTC(2026, 10, 24, 9, 5, 30);

/** A phone's geolocation that answers with ``answer`` and remembers the options it was given. */
function fakeGeolocation(answer) {
  const asked = [];
  return {
    asked,
    getCurrentPosition(resolve, reject, options) {
      asked.push(options);
      if (answer.error) reject({ code: answer.error });
      else resolve(answer);
    },
  };
}

const position = { coords: { latitude: 42.06, longitude: 1.05, accuracy: 8.04 }, timestamp: MEASURED };

test("a check-in or prospect fix asks for a fresh fix (maximumAge 0) and keeps the fix's own time", async () => {
  const geolocation = fakeGeolocation(position);
  const fix = await currentFix({ geolocation });
  assert.equal(geolocation.asked[0].maximumAge, 0);
  assert.equal(geolocation.asked[0].timeout, FIX_TIMEOUT_MS);
  assert.equal(geolocation.asked[0].enableHighAccuracy, true);
  assert.deepEqual(fix, {
    location: { lat: 42.06, lng: 1.05 },
    accuracy_m: 8,
    fix_at: new Date(MEASURED).toISOString(),
  });
});

test("only nearby, never stored, may accept a recent fix", async () => {
  const geolocation = fakeGeolocation(position);
  await currentFix({ geolocation, maxAgeMs: 30_000 });
  assert.equal(geolocation.asked[0].maximumAge, 30_000);
});

test("no fix says why: timeout, permission denied, or unavailable", async () => {
  for (const [code, reason] of [[3, "timeout"], [1, "denied"], [2, "unavailable"], [9, "unavailable"]]) {
    await assert.rejects(currentFix({ geolocation: fakeGeolocation({ error: code }) }), { reason });
  }
  await assert.rejects(currentFix({ geolocation: null }), { reason: "unavailable" });
});

test("a fix without its own time keeps that time unknown, not made up", async () => {
  const fix = await currentFix({ geolocation: fakeGeolocation({ ...position, timestamp: undefined }) });
  assert.equal(fix.fix_at, null);
});

test("a check-in without a position sends it as missing, with the check-in time", () => {
  const at = "2026-11-24T09:05:00.000Z";
  assert.deepEqual(checkInOf(null, at), { location: null, accuracy_m: null, fix_at: null, at });
  const fix = { location: { lat: 42.06, lng: 1.05 }, accuracy_m: 8, fix_at: "2026-11-24T09:05:04.000Z" };
  assert.deepEqual(checkInOf(fix, at), { ...fix, at });
});

test("a visit logged without a position records it missing: no location, distance or fix time", async () => {
  const account = { id: "acc-1", name: "Bakery", location: { lat: 42.05, lng: 1.05 } };
  const at = "2026-11-24T09:05:00.000Z";
  const record = await logVisit({
    account, me: { id: 1 }, checkIn: checkInOf(null, at), outcome: "order", notes: "", nextStep: null,
  }); // prettier-ignore
  const [mutation] = await nextBatch();
  assert.deepEqual(mutation.fields.check_in, { location: null, accuracy_m: null, fix_at: null, at });
  const local = await getRecord("visits", record.id);
  assert.equal(local.checked_in_at, at);
  assert.deepEqual(
    [local.check_in_location, local.check_in_accuracy_m, local.check_in_fix_at, local.distance_m, local.is_far],
    [null, null, null, null, null],
  );
});

test("a prospect saved without a position is sent with its location null (missing)", async () => {
  const record = await createProspect({ name: "Corner Shop", location: null });
  const [mutation] = await nextBatch();
  assert.equal(mutation.fields.location, null);
  assert.ok("location" in mutation.fields);
  assert.equal((await getRecord("accounts", record.id)).location, null);
});
