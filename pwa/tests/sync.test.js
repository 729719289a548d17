import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { getMeta, getRecord } from "../static/pwa/js/db.js";
import { counts, enqueue } from "../static/pwa/js/outbox.js";
import { BACKOFF_MAX_MS, backoffDelay, createSync } from "../static/pwa/js/sync.js";
import { answerAll, fakeApi, freshPhone, ok } from "./helpers.js";

beforeEach(freshPhone);

function engine(api, extra = {}) {
  const timers = [];
  const sync = createSync({
    api,
    deviceId: "dev-1",
    locks: null,
    random: () => 0.5,
    setTimer: (fn, ms) => timers.push({ fn, ms }) && timers.length,
    clearTimer: () => {},
    ...extra,
  });
  return { sync, timers };
}

const note = (n) => ({ entity: "visit", action: "create", id: `id-${n}`, fields: { notes: `n${n}` } });

test("backoff doubles, is capped and jittered", () => {
  assert.equal(backoffDelay(1, () => 0), 1000);
  assert.equal(backoffDelay(1, () => 1), 2000);
  assert.equal(backoffDelay(3, () => 1), 8000);
  assert.equal(backoffDelay(50, () => 1), BACKOFF_MAX_MS);
  assert.ok(backoffDelay(50, () => 0) >= BACKOFF_MAX_MS / 2);
});

test("push then pull; the cursor and the pulled records are stored", async () => {
  await enqueue(note(1));
  const order = [];
  const api = fakeApi({
    push: (mutations) => { order.push("push"); return answerAll("applied")(mutations); },
    pull: (cursor) => {
      order.push(`pull:${cursor}`);
      return ok({ cursor: 7, more: false, changes: { accounts: [{ id: "a1", name: "Shop" }] }, deleted: {}, removed: {} });
    },
  }); // prettier-ignore
  const { sync } = engine(api);
  assert.equal(await sync.request("start"), "done");
  assert.deepEqual(order, ["push", "pull:0"]);
  assert.equal(await getMeta("cursor"), 7);
  assert.equal((await getRecord("accounts", "a1")).name, "Shop");
  assert.equal((await counts()).pending, 0);
  assert.ok(sync.state.lastSyncAt);
});

test("a fresh install stores today's head start first, then pulls from 0 asking for its tombstones", async () => {
  const order = [];
  const api = {
    push: answerAll("applied"),
    today: async () => {
      order.push("today");
      return ok({ cursor: 40, changes: { visits: [{ id: "v1", account_id: "a1" }], accounts: [{ id: "a1", name: "Shop" }] } });
    },
    pull: async (cursor, _limit, tombstonesSince) => {
      order.push(`pull:${cursor}:${tombstonesSince}`);
      return ok({ cursor: cursor + 50, more: cursor === 0, changes: {}, deleted: { visits: cursor === 0 ? ["v1"] : [] }, removed: {} });
    },
  }; // prettier-ignore
  const { sync } = engine(api);
  assert.equal(await sync.request("start"), "done");
  assert.deepEqual(order, ["today", "pull:0:40", "pull:50:null"]);
  assert.equal((await getRecord("accounts", "a1")).name, "Shop");
  assert.equal(await getRecord("visits", "v1"), undefined, "a tombstone after the head start removes it");
  assert.equal(await getMeta("cursor"), 100);
  // Not again on the next run: the phone is no longer fresh.
  order.length = 0;
  await sync.request("again");
  assert.deepEqual(order, ["pull:100:null"]);
});

test("pull loops while the server says more, page by page", async () => {
  const api = fakeApi({
    push: answerAll("applied"),
    pull: (cursor) => ok({ cursor: cursor + 1, more: cursor < 2, changes: {}, deleted: {}, removed: {} }),
  });
  const { sync } = engine(api);
  await sync.request();
  assert.deepEqual(api.calls.pull, [0, 1, 2]);
});

for (const [label, answer] of [
  ["a 5xx", { kind: "transient", status: 503, data: null }],
  ["a 401", { kind: "auth", status: 401, data: null }],
  ["a network error", { kind: "transient", status: 0, data: null }],
]) {
  test(`${label} keeps every item and schedules a retry with backoff`, async () => {
    await enqueue(note(1));
    await enqueue(note(2));
    const api = fakeApi({ push: () => answer });
    const { sync, timers } = engine(api);
    assert.equal(await sync.request(), "failed");
    assert.equal((await counts()).pending, 2);
    assert.equal(timers.length, 1);
    assert.equal(timers[0].ms, backoffDelay(1, () => 0.5));
    assert.equal(api.calls.pull.length, 0, "no pull after a failed push");
    // The retry fires: the second failure waits longer.
    timers[0].fn();
    await sync.request();
    assert.ok(timers.at(-1).ms > timers[0].ms);
  });
}

test("revoked access stops the loop for good and hands over to onRevoked (no retry)", async () => {
  await enqueue(note(1));
  let told = 0;
  const api = fakeApi({ push: () => ({ kind: "revoked", status: 401, data: { code: "revoked" } }) });
  const { sync, timers } = engine(api, { onRevoked: () => { told += 1; } });
  assert.equal(await sync.request(), "revoked");
  assert.equal(told, 1);
  assert.equal(timers.length, 0, "no retry is scheduled");
  assert.equal(sync.state.phase, "revoked");
  assert.equal(await sync.request(), "revoked");
  assert.equal(api.calls.push.length, 1, "nothing more is sent");
});

test("an ended session (401 not revoked) keeps the outbox and never calls onRevoked", async () => {
  await enqueue(note(1));
  let told = 0;
  const api = fakeApi({ push: () => ({ kind: "auth", status: 401, data: { code: "not_authenticated" } }) });
  const { sync } = engine(api, { onRevoked: () => { told += 1; } });
  assert.equal(await sync.request(), "failed");
  assert.equal(sync.state.phase, "auth");
  assert.equal((await counts()).pending, 1);
  assert.equal(told, 0);
});

test("a retry after a lost answer resends the same op ids (the server dedupes them)", async () => {
  await enqueue(note(1));
  let lost = true;
  const api = fakeApi({
    push: (mutations) => {
      if (lost) {
        lost = false;
        return { kind: "transient", status: 0, data: null };
      }
      return answerAll("already_applied")(mutations);
    },
  });
  const { sync } = engine(api);
  await sync.request();
  await sync.request();
  assert.equal(api.calls.push[0][0].op_id, api.calls.push[1][0].op_id);
  assert.equal((await counts()).pending, 0);
});

test("offline: no request at all", async () => {
  await enqueue(note(1));
  const api = fakeApi({ push: answerAll("applied") });
  const { sync } = engine(api, { isOnline: () => false });
  assert.equal(await sync.request(), "offline");
  assert.equal(api.calls.push.length, 0);
});

test("requests during a run coalesce into one more run", async () => {
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  const api = fakeApi({
    push: answerAll("applied"),
    pull: async (cursor, n) => {
      if (n === 1) await gate;
      return ok({ cursor, more: false, changes: {}, deleted: {}, removed: {} });
    },
  }); // prettier-ignore
  const { sync } = engine(api);
  const first = sync.request("start");
  sync.request("online");
  sync.request("change");
  release();
  await first;
  assert.equal(api.calls.pull.length, 2);
});

test("another tab holding the lock: this one stands back and retries shortly", async () => {
  const api = fakeApi({ push: answerAll("applied") });
  const locks = { request: async (_name, _opts, fn) => fn(null) };
  const { sync, timers } = engine(api, { locks });
  assert.equal(await sync.request(), "busy");
  assert.equal(api.calls.pull.length, 0);
  assert.equal(timers.length, 1);
});

test("a batch the server answers for none of the items does not spin", async () => {
  await enqueue(note(1));
  const api = fakeApi({ push: () => ok({ cursor: 1, results: [] }) });
  const { sync } = engine(api);
  assert.equal(await sync.request(), "failed");
  assert.equal(api.calls.push.length, 1);
  assert.equal((await counts()).pending, 1);
});

test("a pulled record keeps a still-queued local edit on top", async () => {
  await enqueue({ entity: "account", action: "update", id: "a1", base_version: 1,
    changes: { phone: { old: "", new: "555" } } }); // prettier-ignore
  const api = fakeApi({
    push: () => ({ kind: "transient", status: 503, data: null }),
  });
  const { sync } = engine(api);
  await sync.request();
  // A later pull (e.g. another trigger after the push recovered for other items) must not hide it.
  const { applyPullPage } = await import("../static/pwa/js/db.js");
  const { overlayPending, pendingItems } = await import("../static/pwa/js/outbox.js");
  const pending = await pendingItems();
  await applyPullPage({ cursor: 2, changes: { accounts: [{ id: "a1", phone: "", name: "Shop" }] } },
    (store, record) => overlayPending(pending, store, record)); // prettier-ignore
  assert.equal((await getRecord("accounts", "a1")).phone, "555");
});

test("removed accounts take their contacts and history off the phone", async () => {
  const { applyPullPage } = await import("../static/pwa/js/db.js");
  await applyPullPage({ cursor: 1, changes: {
    accounts: [{ id: "a1" }, { id: "a2" }],
    contacts: [{ id: "c1", account_id: "a1" }, { id: "c2", account_id: "a2" }],
    activities: [{ id: "h1", account_id: "a1" }],
  } }); // prettier-ignore
  await applyPullPage({ cursor: 2, changes: {}, deleted: { contacts: ["c2"] }, removed: { accounts: ["a1"] } });
  assert.equal(await getRecord("accounts", "a1"), undefined);
  assert.equal(await getRecord("contacts", "c1"), undefined);
  assert.equal(await getRecord("activities", "h1"), undefined);
  assert.equal(await getRecord("contacts", "c2"), undefined);
  assert.ok(await getRecord("accounts", "a2"));
  assert.equal(await getMeta("cursor"), 2);
});
