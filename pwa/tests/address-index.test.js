import assert from "node:assert/strict";
import { test } from "node:test";

import { buildReverseIndex, keepAddressIndexes, META_KEY, reverseLookup } from "../static/pwa/js/address-index.js";

// Avinguda Meritxell 92 and a street way beside it (coordinates as the server sends: 1e-5°).
const PACK = {
  territory_id: 7,
  version: "v1",
  names: [["Avinguda Meritxell", "Andorra la Vella"], ["Carrer Major", "Encamp"]],
  addresses: [[0, "92", 4250796, 153043]],
  streets: [[1, [4253000, 158000, 4253000, 158400]]],
};

test("the nearest house within 60 m is the address", () => {
  const index = buildReverseIndex([PACK]);
  const found = reverseLookup(index, { lat: 42.50800, lng: 1.53045 });
  assert.equal(found.kind, "address");
  assert.equal(found.label, "Avinguda Meritxell 92, Andorra la Vella");
  assert.ok(found.distance_m < 10, found.distance_m);
});

test("away from houses, the nearest street within 120 m, measured to the segment", () => {
  const index = buildReverseIndex([PACK]);
  // Beside the middle of a 330 m segment, 55 m north of it: far from both of its ends.
  const found = reverseLookup(index, { lat: 42.5305, lng: 1.5820 });
  assert.equal(found.kind, "street");
  assert.equal(found.label, "Carrer Major, Encamp");
  assert.ok(found.distance_m > 50 && found.distance_m < 60, found.distance_m);
});

test("nothing within reach gives no address rather than a guess", () => {
  const index = buildReverseIndex([PACK]);
  assert.equal(reverseLookup(index, { lat: 42.6, lng: 1.7 }), null);
  assert.equal(reverseLookup(buildReverseIndex([]), { lat: 42.5, lng: 1.5 }), null);
});

function fakes(items, packs) {
  const asked = [];
  const meta = new Map();
  const api = {
    request: async (path) => {
      asked.push(path);
      if (path === "geocoding/address-indexes") return { kind: "ok", data: { items } };
      const id = Number(path.split("/").pop());
      return packs[id] ? { kind: "ok", data: packs[id] } : { kind: "transient", data: null };
    },
  };
  const db = { getMeta: async (k, f) => (meta.has(k) ? meta.get(k) : f), setMeta: async (k, v) => meta.set(k, v) };
  return { api, db, asked, meta };
}

test("only changed territories are fetched; gone ones are forgotten", async () => {
  const { api, db, asked, meta } = fakes(
    [{ territory_id: 7, version: "v1" }, { territory_id: 8, version: "v2" }],
    { 8: { ...PACK, territory_id: 8, version: "v2" } },
  );
  meta.set(META_KEY, { 7: PACK, 9: { ...PACK, territory_id: 9 } });
  const kept = await keepAddressIndexes({ api, db });
  assert.deepEqual(asked, ["geocoding/address-indexes", "geocoding/address-indexes/8"]);
  assert.deepEqual(Object.keys(kept).sort(), ["7", "8"]);
  assert.deepEqual(meta.get(META_KEY), kept);
});

test("offline keeps what the phone has", async () => {
  const { db, meta } = fakes([], {});
  meta.set(META_KEY, { 7: PACK });
  const api = { request: async () => ({ kind: "transient", data: null }) };
  assert.equal(await keepAddressIndexes({ api, db }), null);
  assert.deepEqual(meta.get(META_KEY), { 7: PACK });
});
