// Issue 19: accepting a re-plan and "add to today" are outbox items the server can check.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { addToToday, replanDay } from "../static/pwa/js/actions.js";
import { getRecord, putRecord } from "../static/pwa/js/db.js";
import { nextBatch } from "../static/pwa/js/outbox.js";
import { todayIso } from "../static/pwa/js/ui.js";
import { freshPhone } from "./helpers.js";

beforeEach(freshPhone);

test("add to today queues one planned visit of today for the account", async () => {
  const visit = await addToToday({ id: "a1", name: "Shop" }, { id: 7 });
  const [item] = await nextBatch();
  assert.deepEqual([item.entity, item.action, item.id], ["visit", "create", visit.id]);
  assert.deepEqual(item.fields, { account_id: "a1", scheduled_on: todayIso() });
  assert.equal((await getRecord("visits", visit.id)).status, "planned");
});

test("accepting a re-plan is one edit of the sheet; the visits take the new order at once", async () => {
  const sheet = { id: "r1", version: 3, date: todayIso(), order: [{ visit_id: "v2", arrival_at: "x" }], dropped: [] };
  await putRecord("routes", sheet);
  const visits = [
    { id: "v1", status: "done", route_sequence: 1 },
    { id: "v2", status: "planned", route_sequence: 2 },
    { id: "v3", status: "planned", route_sequence: 3 },
    { id: "v4", status: "planned", route_sequence: 4 },
  ];
  for (const v of visits) await putRecord("visits", v);
  const order = [{ visit_id: "v4", arrival_at: "2026-01-01T10:00:00.000Z" }, { visit_id: "v2", arrival_at: "2026-01-01T10:40:00.000Z" }];
  await replanDay(sheet, order, [{ visit_id: "v3", reason: "closed" }], visits);
  const [item] = await nextBatch();
  assert.deepEqual([item.entity, item.action, item.id, item.base_version], ["route", "update", "r1", 3]);
  assert.deepEqual(item.changes.order, { old: sheet.order, new: order });
  assert.deepEqual(item.changes.dropped.new, [{ visit_id: "v3", reason: "closed" }]);
  const seq = async (id) => (await getRecord("visits", id)).route_sequence;
  assert.deepEqual([await seq("v1"), await seq("v4"), await seq("v2"), await seq("v3")], [1, 2, 3, 4]);
  assert.equal((await getRecord("visits", "v3")).planned_arrival_at, null);
});
