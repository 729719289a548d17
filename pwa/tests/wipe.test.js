import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { allRecords, getMeta, putRecord, setMeta } from "../static/pwa/js/db.js";
import { counts, enqueue } from "../static/pwa/js/outbox.js";
import { holdsData, wipeDevice } from "../static/pwa/js/wipe.js";
import { freshPhone } from "./helpers.js";

beforeEach(freshPhone);

function fakeCaches(names) {
  const left = new Set(names);
  return {
    left,
    keys: async () => [...left],
    delete: async (name) => left.delete(name),
  };
}

test("a wipe deletes records, outbox, cursor and the data caches, and counts unsent changes", async () => {
  await putRecord("accounts", { id: "a1", name: "Shop" });
  await setMeta("cursor", 12);
  await setMeta("deviceId", "dev-1");
  await enqueue({ entity: "visit", action: "create", id: "v1", fields: { notes: "secret" } });
  await enqueue({ entity: "visit", action: "create", id: "v2", fields: { notes: "more" } });
  const caches = fakeCaches(["fieldcrm-precache-v2-https://x/", "fieldcrm-api", "fieldcrm-tiles"]);
  assert.deepEqual(await wipeDevice({ cachesImpl: caches }), { unsent: 2 });
  assert.deepEqual([...caches.left], ["fieldcrm-precache-v2-https://x/"]);
  // Opened again, the database is a new, empty one.
  assert.deepEqual(await allRecords("accounts"), []);
  assert.equal(await getMeta("cursor", null), null);
  assert.equal(await getMeta("deviceId", null), null);
  assert.equal((await counts()).pending, 0);
});

test("only the precache (the app's own code) is kept", () => {
  assert.equal(holdsData("fieldcrm-api"), true);
  assert.equal(holdsData("fieldcrm-tiles"), true);
  assert.equal(holdsData("fieldcrm-precache-v2-http://127.0.0.1:8000/"), false);
});
