// The map tiles of the rep's area, kept on the phone so Today's map draws its streets with
// no signal. The page fills one cache (PACK_CACHE) after a sync, when idle; the service
// worker answers tile requests from it first (serviceworker.js), then from its bounded
// runtime cache of tiles seen while online.
//
// Bounded twice: by area (street zooms over the box around the accounts on this phone, which
// are the rep's territories and own accounts, padded by about a kilometre) and by bytes
// (BUDGET_BYTES: a fill stops before going over it, low zooms first, so what is kept always
// covers the whole area at the zooms it reached).

export const PACK_CACHE = "fieldcrm-tiles-area";
export const BUDGET_BYTES = 50 * 1024 * 1024;
export const MIN_ZOOM = 10; // data zooms: drawn from display zoom 11, overzoomed past 14
export const MAX_ZOOM = 14;
export const STALE_MS = 7 * 24 * 3600 * 1000; // refilled a week after the last full fill
const PAD_DEG = 0.01;
const PARALLEL = 4;
// The app's own tiles come in bundles (fieldcrm/tiles/views.py tile_bundle): a box of one
// zoom, at most BUNDLE_MAX_TILES, in one answer. On slow 3G a request costs a 2 s round trip
// whatever its size, so 288 tiles one by one (4 at a time) took over two minutes of round
// trips; a handful of bundles takes a few, and the rest is bandwidth (bench/tile_fill.py).
export const BUNDLE_MAX_TILES = 128;
const BUNDLE_PARALLEL = 2;
const RECORD_BYTES = 13; // z (u8), x, y, length (u32, big-endian)

/**
 * The XYZ tile holding a point at zoom z.
 * @returns {[number, number]}
 */
export function tileOf(lng, lat, z) {
  const n = 2 ** z;
  const x = Math.floor(((lng + 180) / 360) * n);
  const rad = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.asinh(Math.tan(rad)) / Math.PI) / 2) * n);
  return [Math.min(n - 1, Math.max(0, x)), Math.min(n - 1, Math.max(0, y))];
}

/**
 * The padded box around the accounts' locations, or null when none has one.
 * @param {{location?: {lat: number, lng: number}|null}[]} accounts
 */
export function areaOf(accounts) {
  const points = accounts.map((a) => a.location).filter(Boolean);
  if (!points.length) return null;
  const lats = points.map((p) => p.lat);
  const lngs = points.map((p) => p.lng);
  return {
    west: Math.min(...lngs) - PAD_DEG, south: Math.min(...lats) - PAD_DEG,
    east: Math.max(...lngs) + PAD_DEG, north: Math.max(...lats) + PAD_DEG,
  }; // prettier-ignore
}

/**
 * Every tile over the area, zoom by zoom from the lowest.
 * @returns {[number, number, number][]}
 */
export function tilesFor(area, minZoom = MIN_ZOOM, maxZoom = MAX_ZOOM) {
  const tiles = [];
  for (let z = minZoom; z <= maxZoom; z++) {
    const [x0, y0] = tileOf(area.west, area.north, z);
    const [x1, y1] = tileOf(area.east, area.south, z);
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) tiles.push([z, x, y]);
  }
  return tiles;
}

/**
 * The area's tiles as bundles: per zoom from the lowest, its box cut into runs of whole
 * columns of at most `max` tiles (a column taller than `max` is cut too).
 * @returns {{z: number, x0: number, x1: number, y0: number, y1: number}[]}
 */
export function bundlesFor(area, max = BUNDLE_MAX_TILES, minZoom = MIN_ZOOM, maxZoom = MAX_ZOOM) {
  const bundles = [];
  for (let z = minZoom; z <= maxZoom; z++) {
    const [x0, y0] = tileOf(area.west, area.north, z);
    const [x1, y1] = tileOf(area.east, area.south, z);
    const rows = Math.min(y1 - y0 + 1, max);
    const cols = Math.max(1, Math.floor(max / rows));
    for (let x = x0; x <= x1; x += cols)
      for (let y = y0; y <= y1; y += rows)
        bundles.push({ z, x0: x, x1: Math.min(x1, x + cols - 1), y0: y, y1: Math.min(y1, y + rows - 1) });
  }
  return bundles;
}

/**
 * A bundle's body as its tiles: [[z, x, y], bytes (null: no tile there)] in its order.
 * @param {ArrayBuffer} buffer
 */
export function parseBundle(buffer) {
  const view = new DataView(buffer);
  const tiles = [];
  let at = 0;
  while (at + RECORD_BYTES <= buffer.byteLength) {
    const z = view.getUint8(at);
    const x = view.getUint32(at + 1);
    const y = view.getUint32(at + 5);
    const length = view.getUint32(at + 9);
    at += RECORD_BYTES;
    if (at + length > buffer.byteLength) throw new Error("truncated tile bundle");
    tiles.push([[z, x, y], length ? buffer.slice(at, at + length) : null]);
    at += length;
  }
  return tiles;
}

/** @returns {string} the template filled in, absolute */
export function tileUrl(template, [z, x, y], base = globalThis.location?.href) {
  const url = template.replace("{z}", z).replace("{x}", x).replace("{y}", y);
  return new URL(url, base).href;
}

/**
 * Fill the cache with the area's tiles, within the budget, each kept under its plain URL
 * (what the worker's tile route looks up). With `bundleUrl` (the app's own tiles) they come a
 * box at a time from it; else one by one from the template with a query (`?pack`) the
 * worker's tile route does not match, so it is not stored twice. Tiles of an earlier fill
 * outside the new set are dropped. Stops at the first network failure (the rest waits for
 * the next fill).
 * @returns {Promise<{tiles: number, bytes: number, total: number, complete: boolean, at: string}>}
 */
export async function fillPack({
  template, accounts, bundleUrl = null, cachesImpl = globalThis.caches, fetchImpl = globalThis.fetch,
  budget = BUDGET_BYTES, onProgress = () => {}, now = () => new Date(), base = globalThis.location?.href,
}) {
  const area = areaOf(accounts);
  const wanted = area ? tilesFor(area) : [];
  const cache = await cachesImpl.open(PACK_CACHE);
  const urls = wanted.map((tile) => tileUrl(template, tile, base));
  let bytes = 0;
  let done = 0;
  let stopped = false;

  // One tile's bytes kept (null: none there, kept as the tile URL's empty 204); false when
  // it would go over the budget, which stops the fill.
  async function keep(tile, body, type = "application/vnd.mapbox-vector-tile") {
    const size = body ? body.byteLength : 0;
    if (bytes + size > budget) return false;
    bytes += size;
    const headers = { "Content-Type": type };
    await cache.put(tileUrl(template, tile, base), new Response(body, { status: body ? 200 : 204, headers }));
    done += 1;
    onProgress(done, urls.length);
    return true;
  }

  async function fetched(url) {
    if (globalThis.navigator?.onLine === false) return null;
    try {
      const response = await fetchImpl(url, { credentials: "same-origin" });
      return response.ok ? response : null;
    } catch {
      return null;
    }
  }

  async function tileWorker(queue) {
    while (queue.length && !stopped) {
      const tile = queue.shift();
      const response = await fetched(`${tileUrl(template, tile, base)}?pack`);
      if (!response) return void (stopped = true);
      const body = await response.arrayBuffer();
      const type = response.headers.get("Content-Type") || "application/octet-stream";
      if (!(await keep(tile, response.status === 204 ? null : body, type))) return void (stopped = true);
    }
  }

  async function bundleWorker(queue) {
    while (queue.length && !stopped) {
      const { z, x0, x1, y0, y1 } = queue.shift();
      const url = new URL(bundleUrl, base);
      for (const [key, value] of Object.entries({ z, x0, x1, y0, y1 })) url.searchParams.set(key, value);
      const response = await fetched(url.href);
      if (!response) return void (stopped = true);
      let tiles;
      try {
        tiles = parseBundle(await response.arrayBuffer());
      } catch {
        return void (stopped = true);
      }
      for (const [tile, body] of tiles) {
        if (stopped || !(await keep(tile, body))) return void (stopped = true);
      }
    }
  }

  if (bundleUrl && area) {
    const queue = bundlesFor(area);
    await Promise.all(Array.from({ length: BUNDLE_PARALLEL }, () => bundleWorker(queue)));
  } else {
    const queue = [...wanted];
    await Promise.all(Array.from({ length: PARALLEL }, () => tileWorker(queue)));
  }
  const kept = new Set(urls);
  for (const request of await cache.keys()) if (!kept.has(request.url)) await cache.delete(request);
  return { tiles: done, bytes, total: urls.length, complete: done === urls.length, at: now().toISOString() };
}

/** Whether a fill is due: never filled, incomplete, or older than STALE_MS. */
export function packDue(status, now = Date.now()) {
  return !status || !status.complete || now - Date.parse(status.at) > STALE_MS;
}
