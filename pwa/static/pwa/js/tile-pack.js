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

/** @returns {string} the template filled in, absolute */
export function tileUrl(template, [z, x, y], base = globalThis.location?.href) {
  const url = template.replace("{z}", z).replace("{x}", x).replace("{y}", y);
  return new URL(url, base).href;
}

/**
 * Fill the cache with the area's tiles, within the budget. A tile is fetched with a query
 * (`?pack`) the worker's tile route does not match, so it is not stored twice, and kept
 * under its plain URL. Tiles of an earlier fill outside the new set are dropped. Stops at
 * the first network failure (the rest waits for the next fill).
 * @returns {Promise<{tiles: number, bytes: number, total: number, complete: boolean, at: string}>}
 */
export async function fillPack({
  template, accounts, cachesImpl = globalThis.caches, fetchImpl = globalThis.fetch,
  budget = BUDGET_BYTES, onProgress = () => {}, now = () => new Date(), base = globalThis.location?.href,
}) {
  const area = areaOf(accounts);
  const wanted = area ? tilesFor(area) : [];
  const cache = await cachesImpl.open(PACK_CACHE);
  const urls = wanted.map((tile) => tileUrl(template, tile, base));
  let bytes = 0;
  let done = 0;
  let stopped = false;
  const queue = [...urls];
  async function worker() {
    while (queue.length && !stopped) {
      if (globalThis.navigator?.onLine === false) {
        stopped = true;
        return;
      }
      const url = queue.shift();
      let response;
      try {
        response = await fetchImpl(`${url}?pack`, { credentials: "same-origin" });
      } catch {
        stopped = true;
        return;
      }
      if (!response.ok) {
        stopped = true;
        return;
      }
      const body = await response.arrayBuffer();
      if (bytes + body.byteLength > budget) {
        stopped = true;
        return;
      }
      bytes += body.byteLength;
      const headers = { "Content-Type": response.headers.get("Content-Type") || "application/octet-stream" };
      await cache.put(url, new Response(response.status === 204 ? null : body, { status: response.status, headers }));
      done += 1;
      onProgress(done, urls.length);
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const keep = new Set(urls);
  for (const request of await cache.keys()) if (!keep.has(request.url)) await cache.delete(request);
  return { tiles: done, bytes, total: urls.length, complete: done === urls.length, at: now().toISOString() };
}

/** Whether a fill is due: never filled, incomplete, or older than STALE_MS. */
export function packDue(status, now = Date.now()) {
  return !status || !status.complete || now - Date.parse(status.at) > STALE_MS;
}
