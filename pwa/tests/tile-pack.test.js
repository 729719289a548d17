import assert from "node:assert/strict";
import { test } from "node:test";

import { areaOf, bundlesFor, fillPack, packDue, parseBundle, tileOf, tilesFor, tileUrl } from "../static/pwa/js/tile-pack.js";

const VELLA = [{ location: { lat: 42.5063, lng: 1.5218 } }, { location: { lat: 42.509, lng: 1.53 } }, { location: null }];
const TEMPLATE = "/tiles/{z}/{x}/{y}.mvt";
const BASE = "http://127.0.0.1:8000/app/";

function fakeCache() {
  const entries = new Map();
  const cache = {
    entries,
    put: async (url, response) => entries.set(url, response),
    keys: async () => [...entries.keys()].map((url) => ({ url })),
    delete: async (request) => entries.delete(request.url),
  };
  return { open: async () => cache, cache };
}

function fakeFetch({ size = 1000, failAfter = Infinity } = {}) {
  const asked = [];
  const impl = async (url) => {
    if (asked.length >= failAfter) throw new TypeError("Failed to fetch");
    asked.push(url);
    return new Response(new Uint8Array(size), { status: 200 });
  };
  return { impl, asked };
}

test("tileOf finds Andorra la Vella's street-zoom tile", () => {
  assert.deepEqual(tileOf(1.5218, 42.5063, 14), [8261, 6050]);
});

test("the area is the accounts' box padded, and its tiles go from the lowest zoom up", () => {
  const area = areaOf(VELLA);
  assert.ok(area.west < 1.5218 && area.east > 1.53 && area.south < 42.5063 && area.north > 42.509);
  assert.equal(areaOf([{ location: null }]), null);
  const tiles = tilesFor(area);
  assert.deepEqual(tiles[0], [10, 516, 378]);
  assert.ok(tiles.every(([z], i) => i === 0 || z >= tiles[i - 1][0]));
  assert.ok(tiles.some(([z, x, y]) => z === 14 && x === 8261 && y === 6050));
});

test("a fill keeps every tile of the area under its plain URL, fetched apart from the worker's route", async () => {
  const caches = fakeCache();
  const fetch = fakeFetch();
  const wanted = tilesFor(areaOf(VELLA)).map((t) => tileUrl(TEMPLATE, t, BASE));
  const status = await fillPack({ template: TEMPLATE, accounts: VELLA, cachesImpl: caches, fetchImpl: fetch.impl, base: BASE });
  assert.equal(status.complete, true);
  assert.equal(status.tiles, wanted.length);
  assert.equal(status.bytes, 1000 * wanted.length);
  assert.deepEqual(new Set(caches.cache.entries.keys()), new Set(wanted));
  assert.ok(fetch.asked.every((url) => url.endsWith("?pack")));
});

test("a fill stops before the budget and after a network failure, and says it is incomplete", async () => {
  const overBudget = await fillPack({
    template: TEMPLATE, accounts: VELLA, cachesImpl: fakeCache(), fetchImpl: fakeFetch().impl, budget: 5500, base: BASE,
  });
  assert.equal(overBudget.complete, false);
  assert.ok(overBudget.bytes <= 5500);
  const offline = await fillPack({
    template: TEMPLATE, accounts: VELLA, cachesImpl: fakeCache(), fetchImpl: fakeFetch({ failAfter: 3 }).impl, base: BASE,
  });
  assert.equal(offline.complete, false);
  assert.equal(offline.tiles, 3);
});

test("a refill drops the tiles of an area the rep no longer covers", async () => {
  const caches = fakeCache();
  caches.cache.entries.set("http://127.0.0.1:8000/tiles/14/1/1.mvt", new Response(null));
  await fillPack({ template: TEMPLATE, accounts: VELLA, cachesImpl: caches, fetchImpl: fakeFetch().impl, base: BASE });
  assert.equal(caches.cache.entries.has("http://127.0.0.1:8000/tiles/14/1/1.mvt"), false);
});

test("a fill is due when there is none, it is incomplete, or a week old", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  assert.equal(packDue(null, now), true);
  assert.equal(packDue({ complete: false, at: "2026-12-01T11:00:00Z" }, now), true);
  assert.equal(packDue({ complete: true, at: "2026-12-01T11:00:00Z" }, now), false);
  assert.equal(packDue({ complete: true, at: "2026-11-20T11:00:00Z" }, now), true);
});

// A bundle as fieldcrm/tiles/views.py tile_bundle writes it (before its HTTP gzip).
function bundleBody(tiles) {
  const parts = [];
  for (const [[z, x, y], bytes] of tiles) {
    const head = new DataView(new ArrayBuffer(13));
    head.setUint8(0, z);
    head.setUint32(1, x);
    head.setUint32(5, y);
    head.setUint32(9, bytes ? bytes.length : 0);
    parts.push(new Uint8Array(head.buffer));
    if (bytes) parts.push(bytes);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out.buffer;
}

function fakeBundleServer({ size = 1000, failAfter = Infinity } = {}) {
  const asked = [];
  const impl = async (href) => {
    if (asked.length >= failAfter) throw new TypeError("Failed to fetch");
    asked.push(href);
    const q = new URL(href).searchParams;
    const [z, x0, x1, y0, y1] = ["z", "x0", "x1", "y0", "y1"].map((k) => Number(q.get(k)));
    const tiles = [];
    for (let x = x0; x <= x1; x++)
      for (let y = y0; y <= y1; y++) tiles.push([[z, x, y], (x + y) % 5 ? new Uint8Array(size).fill(z) : null]);
    return new Response(bundleBody(tiles), { status: 200 });
  };
  return { impl, asked };
}

test("bundles cover the area's tiles exactly once, lowest zoom first, within the size cap", () => {
  const area = areaOf(VELLA);
  for (const max of [128, 7, 1]) {
    const bundles = bundlesFor(area, max);
    const covered = [];
    for (const b of bundles) {
      assert.ok((b.x1 - b.x0 + 1) * (b.y1 - b.y0 + 1) <= max);
      for (let x = b.x0; x <= b.x1; x++) for (let y = b.y0; y <= b.y1; y++) covered.push(`${b.z}/${x}/${y}`);
    }
    assert.ok(bundles.every((b, i) => i === 0 || b.z >= bundles[i - 1].z));
    const wanted = tilesFor(area).map(([z, x, y]) => `${z}/${x}/${y}`);
    assert.deepEqual([...covered].sort(), [...wanted].sort());
  }
});

test("a bundle parses into its tiles, an empty record as no tile, a cut one as an error", () => {
  const body = bundleBody([[[14, 8261, 6050], new Uint8Array([1, 2, 3])], [[14, 8261, 6051], null]]);
  const tiles = parseBundle(body);
  assert.deepEqual(tiles.map(([t]) => t), [[14, 8261, 6050], [14, 8261, 6051]]);
  assert.deepEqual([...new Uint8Array(tiles[0][1])], [1, 2, 3]);
  assert.equal(tiles[1][1], null);
  assert.throws(() => parseBundle(body.slice(0, 15)), /truncated/);
});

test("a bundled fill keeps every tile under its plain URL in far fewer requests", async () => {
  const caches = fakeCache();
  const server = fakeBundleServer();
  const wanted = tilesFor(areaOf(VELLA)).map((t) => tileUrl(TEMPLATE, t, BASE));
  const status = await fillPack({
    template: TEMPLATE, bundleUrl: "/tiles/bundle", accounts: VELLA, cachesImpl: caches, fetchImpl: server.impl, base: BASE,
  });
  assert.equal(status.complete, true);
  assert.equal(status.tiles, wanted.length);
  assert.deepEqual(new Set(caches.cache.entries.keys()), new Set(wanted));
  assert.equal(server.asked.length, bundlesFor(areaOf(VELLA)).length);
  assert.equal(server.asked.length, 5); // one per zoom, 10 to 14: each zoom fits in one
  assert.ok(wanted.length > 10);
  const empty = [...caches.cache.entries.values()].filter((r) => r.status === 204);
  assert.ok(empty.length > 0 && empty.length < wanted.length);
});

test("a bundled fill stops before the budget and after a network failure", async () => {
  const overBudget = await fillPack({
    template: TEMPLATE, bundleUrl: "/tiles/bundle", accounts: VELLA, cachesImpl: fakeCache(),
    fetchImpl: fakeBundleServer().impl, budget: 5500, base: BASE,
  });
  assert.equal(overBudget.complete, false);
  assert.ok(overBudget.bytes <= 5500);
  const offline = await fillPack({
    template: TEMPLATE, bundleUrl: "/tiles/bundle", accounts: VELLA, cachesImpl: fakeCache(),
    fetchImpl: fakeBundleServer({ failAfter: 1 }).impl, base: BASE,
  });
  assert.equal(offline.complete, false);
});
