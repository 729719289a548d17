import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { openDB } from "idb";
import * as db from "../static/pwa/js/db.js";
import { counts, enqueue } from "../static/pwa/js/outbox.js";
import { createSync } from "../static/pwa/js/sync.js";
import { freshPhone, ok } from "./helpers.js";

beforeEach(freshPhone);

/**
 * A server in a few lines, as the sync protocol describes it: records by id with a change
 * number, pushes answered once per op id (and once per record id for creates), an epoch that
 * a push or pull naming another refuses. `backup()` / `restore(snapshot)` as the real ones.
 */
function fakeServer() {
  let s = { epoch: "e1", seq: 0, records: new Map(), ops: new Map() };
  const api = {
    pushes: [],
    async push(_device, mutations, epoch) {
      api.pushes.push(mutations.map((m) => m.op_id));
      if (epoch && epoch !== s.epoch) return { kind: "epoch", status: 409, data: { code: "epoch_changed", epoch: s.epoch } };
      s.seq += 1;
      const results = mutations.map((m) => {
        if (s.ops.has(m.op_id)) return { op_id: m.op_id, status: "already_applied" };
        const current = s.records.get(m.id);
        if (m.action === "create" && current) return { op_id: m.op_id, status: "already_applied" };
        if (m.action === "update" && !current) return { op_id: m.op_id, status: "rejected", errors: [{ field: "id", msg: "gone" }] };
        const record = m.action === "create" ? { id: m.id, store: m.entity === "visit" ? "visits" : "accounts", ...m.fields } : { ...current.record };
        for (const [k, c] of Object.entries(m.changes || {})) record[k] = c.new;
        s.records.set(m.id, { seq: s.seq, record });
        s.ops.set(m.op_id, true);
        return { op_id: m.op_id, status: "applied", record };
      });
      return ok({ epoch: s.epoch, cursor: s.seq, results });
    },
    async pull(cursor, _limit, _since, epoch) {
      if (epoch && epoch !== s.epoch) return ok({ epoch: s.epoch, epoch_changed: true, cursor: 0, more: true, changes: {}, deleted: {}, removed: {} });
      const changes = {};
      for (const { seq, record } of s.records.values()) {
        if (seq > cursor) (changes[record.store] ||= []).push(record);
      }
      return ok({ epoch: s.epoch, cursor: s.seq, more: false, changes, deleted: {}, removed: {} });
    },
    backup: () => structuredClone(s),
    restore(snapshot, epoch) {
      s = { ...structuredClone(snapshot), epoch };
    },
    state: () => s,
  }; // prettier-ignore
  return api;
}

function engine(api) {
  return createSync({ api, deviceId: "d", locks: null, random: () => 0.5, setTimer: () => 1, clearTimer: () => {} });
}

const visit = (n) => ({ entity: "visit", action: "create", id: `v${n}`, fields: { notes: `visit ${n}` } });

async function phoneView() {
  const view = {};
  for (const store of ["accounts", "visits"]) {
    view[store] = Object.fromEntries((await db.allRecords(store)).map(({ _epoch, _pending, ...r }) => [r.id, r]));
  }
  return view;
}

test("after a restore the phone sends again what the backup lacks, once, and its view is the server's", async () => {
  const server = fakeServer();
  const sync = engine(server);
  await enqueue(visit(1), { id: "v1", notes: "visit 1" });
  assert.equal(await sync.request("start"), "done");
  const backup = server.backup();
  // After the backup: a visit and a prospect acknowledged, and a record of someone else's.
  await enqueue(visit(2), { id: "v2", notes: "visit 2" });
  await enqueue({ entity: "account", action: "create", id: "p1", fields: { name: "Prospect" } });
  server.state().records.set("x1", { seq: 99, record: { id: "x1", store: "accounts", name: "Gone after restore" } });
  assert.equal(await sync.request("change"), "done");
  assert.equal((await db.getRecord("accounts", "x1")).name, "Gone after restore");
  assert.equal((await db.journalEntries()).length, 3);
  server.restore(backup, "e2");
  // Offline meanwhile: an edit of the prospect the restore took away.
  await enqueue({ entity: "account", action: "update", id: "p1", changes: { name: { old: "Prospect", new: "Renamed" } } });
  server.pushes.length = 0;
  assert.equal(await sync.request("again"), "done");
  // The outbox's push met the new epoch (409), then the journal went first, then the outbox.
  assert.equal(server.pushes.length, 3);
  assert.equal(server.pushes[1].length, 3, "the whole journal, in order");
  const s = server.state();
  assert.deepEqual([...s.records.keys()].sort(), ["p1", "v1", "v2"]);
  assert.equal(s.records.get("p1").record.name, "Renamed");
  assert.equal(await db.getMeta("epoch"), "e2");
  assert.equal(await db.getMeta("resync"), undefined);
  assert.deepEqual(await counts(), { pending: 0, rejected: 0 });
  const fresh = Object.fromEntries(["accounts", "visits"].map((st) => [st, {}]));
  for (const { record } of s.records.values()) fresh[record.store][record.id] = (({ store: _s, ...r }) => r)(record);
  const mine = await phoneView();
  for (const st of ["accounts", "visits"]) {
    assert.deepEqual(Object.keys(mine[st]).sort(), Object.keys(fresh[st]).sort(), st);
  }
  // Sent once per restore: the next sync re-sends nothing.
  server.pushes.length = 0;
  assert.equal(await sync.request("later"), "done");
  assert.equal(server.pushes.length, 0);
});

test("the journal keeps at most 5,000 items and nothing older than 14 days", async () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  const old = new Date(now - db.JOURNAL_MAX_AGE_MS - 1000).toISOString();
  const fresh = new Date(now - 1000).toISOString();
  const entries = [{ seq: 1, op_id: "o1", acked_at: old }];
  for (let i = 2; i <= db.JOURNAL_MAX_ITEMS + 3; i++) entries.push({ seq: i, op_id: `o${i}`, acked_at: fresh });
  await db.settleOutbox({ remove: [], update: [], records: [], journal: entries, now });
  const kept = await db.journalEntries();
  assert.equal(kept.length, db.JOURNAL_MAX_ITEMS);
  assert.equal(kept[0].seq, 4, "the oldest went first");
});

test("a phone on store version 2 upgrades with its unsent outbox, which then syncs once", async () => {
  freshPhone();
  const name = `fieldcrm-upgrade-v2-${process.pid}`;
  const old = await openDB(name, 2, {
    upgrade(d) {
      for (const s of ["accounts", "contacts", "activities", "visits", "tasks", "notifications"]) d.createObjectStore(s, { keyPath: "id" });
      const outbox = d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      outbox.createIndex("op_id", "op_id", { unique: true });
      outbox.createIndex("record_id", "id");
      d.createObjectStore("meta");
    },
  }); // prettier-ignore
  await old.put("meta", 12, "cursor");
  await old.put("visits", { id: "v9", notes: "offline", _pending: true });
  await old.add("outbox", { op_id: "op-9", entity: "visit", action: "create", id: "v9", fields: { notes: "offline" }, changes: {}, base_version: null, status: "pending" });
  old.close();
  db.useDatabase(name);
  assert.equal((await db.getDb()).version, db.DB_VERSION);
  assert.deepEqual(await counts(), { pending: 1, rejected: 0 });
  // Version 5 (issue 18) pulls again from 0, keeping the data, for the entities the older
  // app skipped: tombstones since the old cursor only (the head start's mechanism).
  assert.equal(await db.getMeta("cursor"), 0);
  assert.equal(await db.getMeta("headStart"), 12);
  const server = fakeServer();
  assert.equal(await engine(server).request("start"), "done");
  assert.deepEqual(server.pushes, [["op-9"]]);
  assert.deepEqual(await counts(), { pending: 0, rejected: 0 });
  assert.deepEqual((await db.journalEntries()).map((e) => [e.op_id, e.epoch]), [["op-9", "e1"]]);
});
