import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { getMeta, getRecord } from "../static/pwa/js/db.js";
import {
  conflictsFor,
  counts,
  dismiss,
  enqueue,
  nextBatch,
  settle,
} from "../static/pwa/js/outbox.js";
import { freshPhone } from "./helpers.js";

beforeEach(freshPhone);

const visit = (n) => ({
  entity: "visit",
  action: "create",
  id: `00000000-0000-4000-8000-00000000000${n}`,
  fields: { account_id: "a", status: "done", notes: `v${n}` },
});

test("enqueue stores the item and its optimistic record together", async () => {
  const item = await enqueue(visit(1), { id: visit(1).id, account_id: "a", notes: "v1" });
  assert.equal((await counts()).pending, 1);
  const record = await getRecord("visits", visit(1).id);
  assert.equal(record._pending, true);
  assert.match(item.op_id, /^[0-9a-f-]{36}$/);
});

test("nextBatch sends pending items oldest first, in the push wire shape", async () => {
  for (const n of [1, 2, 3]) await enqueue(visit(n));
  const batch = await nextBatch(2);
  assert.deepEqual(batch.map((m) => m.fields.notes), ["v1", "v2"]);
  assert.deepEqual(Object.keys(batch[0]).sort(), ["action", "entity", "fields", "id", "op_id"]);
});

test("applied and already_applied settle; the server's record replaces the local one", async () => {
  const a = await enqueue(visit(1), { id: visit(1).id });
  const b = await enqueue(visit(2), { id: visit(2).id });
  await settle([
    { op_id: a.op_id, status: "applied", record: { id: visit(1).id, version: 1, distance_m: 3 } },
    { op_id: b.op_id, status: "already_applied", record: { id: visit(2).id, version: 1 } },
  ]);
  assert.deepEqual(await counts(), { pending: 0, rejected: 0 });
  assert.equal((await getRecord("visits", visit(1).id)).distance_m, 3);
  assert.equal((await getRecord("visits", visit(1).id))._pending, undefined);
});

test("an item the answer does not name stays pending", async () => {
  const a = await enqueue(visit(1));
  await enqueue(visit(2));
  await settle([{ op_id: a.op_id, status: "applied" }]);
  const left = await nextBatch();
  assert.deepEqual(left.map((m) => m.fields.notes), ["v2"]);
});

test("unknown statuses and foreign op ids change nothing", async () => {
  await enqueue(visit(1));
  await settle([{ op_id: "nope", status: "applied" }, { op_id: null, status: "weird" }]);
  await settle(undefined);
  assert.equal((await counts()).pending, 1);
});

test("rejected is kept, visible and never resent, until the rep dismisses it", async () => {
  const a = await enqueue(visit(1), { id: visit(1).id });
  await settle([{ op_id: a.op_id, status: "rejected", errors: [{ field: "id", msg: "Out of scope" }] }]);
  assert.deepEqual(await counts(), { pending: 0, rejected: 1 });
  assert.deepEqual(await nextBatch(), []);
  await dismiss(a.seq);
  assert.deepEqual(await counts(), { pending: 0, rejected: 0 });
  assert.equal(await getRecord("visits", visit(1).id), undefined, "a refused create disappears");
});

test("dismissing a refused edit puts the old values back", async () => {
  const id = "acc-1";
  const { putRecord } = await import("../static/pwa/js/db.js");
  await putRecord("accounts", { id, phone: "1", version: 2 });
  const item = await enqueue(
    { entity: "account", action: "update", id, base_version: 2, changes: { phone: { old: "1", new: "2" } } },
    { id, phone: "2", version: 2 },
  );
  await settle([{ op_id: item.op_id, status: "rejected", errors: [] }]);
  await dismiss(item.seq);
  assert.equal((await getRecord("accounts", id)).phone, "1");
});

test("a conflict settles the item and is kept to show on the record", async () => {
  const item = await enqueue({
    entity: "account", action: "update", id: "acc-2", base_version: 1,
    changes: { phone: { old: "", new: "222" } },
  }); // prettier-ignore
  await settle([{
    op_id: item.op_id, status: "conflict",
    conflicts: [{ field: "phone", server: "111", yours: "222" }],
    record: { id: "acc-2", phone: "111", version: 2 },
  }]); // prettier-ignore
  assert.equal((await counts()).pending, 0);
  const [kept] = await conflictsFor("acc-2");
  assert.deepEqual(kept.conflicts, [{ field: "phone", server: "111", yours: "222" }]);
  assert.equal((await getRecord("accounts", "acc-2")).phone, "111");
  assert.equal((await getMeta("conflicts")).length, 1);
});

test("a later queued edit stays on screen over the server's answer to an earlier one", async () => {
  const id = "acc-3";
  const first = await enqueue({ entity: "account", action: "update", id, base_version: 1,
    changes: { phone: { old: "", new: "1" } } }); // prettier-ignore
  await enqueue({ entity: "account", action: "update", id, base_version: 1,
    changes: { email: { old: "", new: "a@b.c" } } }); // prettier-ignore
  await settle([{ op_id: first.op_id, status: "applied", record: { id, phone: "1", email: "", version: 2 } }]);
  const record = await getRecord("accounts", id);
  assert.equal(record.email, "a@b.c");
  assert.equal(record._pending, true);
});
