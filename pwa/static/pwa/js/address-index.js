// The nearest address to a GPS position, with no signal: a prospect added on the street gets
// its address filled in from the offline address index of the rep's territories.
//
// The server cuts one index per territory from the embedded geocoder's address index
// (GET /api/v1/geocoding/address-indexes, at most 5 MB each; fieldcrm/geocoding/packs.py);
// the phone keeps them in IndexedDB (meta "address_indexes") after a sync, fetching only
// those whose version changed, and forgets territories it no longer has. A lookup walks a
// grid of ~110 m cells around the fix: the nearest house within ADDRESS_M, else the nearest
// street within STREET_M, else nothing (never a guess from farther away).

export const META_KEY = "address_indexes";
export const ADDRESS_M = 60;
export const STREET_M = 120;
const E5 = 100_000;
const CELL = 100; // grid cell in 1e-5° units: 0.001°, ~110 m of latitude
const EARTH_RADIUS_M = 6_371_008.8;

/**
 * Fetch the indexes of the rep's territories whose version changed; keep the others.
 * @param {{api: {request: Function}, db: {getMeta: Function, setMeta: Function}}} deps
 * @returns {Promise<object|null>} the kept indexes by territory id; null when offline
 */
export async function keepAddressIndexes({ api, db }) {
  const listed = await api.request("geocoding/address-indexes");
  if (listed.kind !== "ok") return null;
  const stored = (await db.getMeta(META_KEY, null)) || {};
  const kept = {};
  for (const { territory_id: id, version } of listed.data.items) {
    const have = stored[id];
    if (have && have.version === version) {
      kept[id] = have;
      continue;
    }
    const got = await api.request(`geocoding/address-indexes/${id}`);
    if (got.kind === "ok") kept[id] = got.data;
    else if (have) kept[id] = have; // offline mid-way: the old one until the next sync
  }
  await db.setMeta(META_KEY, kept);
  return kept;
}

function cellKey(i, j) {
  return i * 400_000 + j;
}

function add(cells, lat, lng, item) {
  const key = cellKey(Math.floor(lat / CELL), Math.floor(lng / CELL));
  let list = cells.get(key);
  if (!list) cells.set(key, (list = []));
  if (list[list.length - 1] !== item) list.push(item);
}

/**
 * A grid over the indexes' addresses and street segments, for reverseLookup.
 * @param {object[]} packs the indexes as the server sent them
 */
export function buildReverseIndex(packs) {
  const cells = new Map();
  for (const pack of packs) {
    const names = pack.names || [];
    for (const [name, number, lat, lng] of pack.addresses || []) {
      const [street, town] = names[name] || ["", ""];
      add(cells, lat, lng, { kind: "address", lat, lng, label: label(`${street} ${number}`, town) });
    }
    for (const [name, coords] of pack.streets || []) {
      const [street, town] = names[name] || ["", ""];
      const text = label(street, town);
      for (let k = 0; k + 3 < coords.length; k += 2) {
        const segment = { kind: "street", lat: coords[k], lng: coords[k + 1], lat2: coords[k + 2],
          lng2: coords[k + 3], label: text }; // prettier-ignore
        // Every cell the segment passes through (sampled at half a cell).
        const steps = Math.ceil(Math.max(Math.abs(segment.lat2 - segment.lat), Math.abs(segment.lng2 - segment.lng)) / (CELL / 2));
        for (let s = 0; s <= steps; s += 1) {
          const f = steps ? s / steps : 0;
          add(cells, segment.lat + f * (segment.lat2 - segment.lat), segment.lng + f * (segment.lng2 - segment.lng), segment);
        }
      }
    }
  }
  return { cells };
}

function label(main, town) {
  return town ? `${main}, ${town}` : main;
}

/** Metres from the fix to a point or a segment, on a plane tangent at the fix. */
function distanceTo(item, lat0, lng0) {
  const ky = (Math.PI / 180 / E5) * EARTH_RADIUS_M;
  const kx = ky * Math.cos((lat0 / E5) * (Math.PI / 180));
  const ax = (item.lng - lng0) * kx;
  const ay = (item.lat - lat0) * ky;
  if (item.kind === "address") return Math.hypot(ax, ay);
  const bx = (item.lng2 - lng0) * kx;
  const by = (item.lat2 - lat0) * ky;
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const f = length2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / length2)) : 0;
  return Math.hypot(ax + f * dx, ay + f * dy);
}

/**
 * The nearest address (within ADDRESS_M), else street (within STREET_M), to a position.
 * @param {{cells: Map}} index from buildReverseIndex
 * @param {{lat: number, lng: number}} at
 * @returns {{label: string, kind: "address"|"street", distance_m: number}|null}
 */
export function reverseLookup(index, at) {
  const lat0 = at.lat * E5;
  const lng0 = at.lng * E5;
  const i0 = Math.floor(lat0 / CELL);
  const j0 = Math.floor(lng0 / CELL);
  // Longitude cells shrink towards the poles: search as many as STREET_M needs there.
  const ri = Math.ceil(STREET_M / 111) + 1;
  const rj = Math.ceil(ri / Math.max(0.1, Math.cos(at.lat * (Math.PI / 180))));
  let address = null;
  let street = null;
  for (let i = i0 - ri; i <= i0 + ri; i += 1) {
    for (let j = j0 - rj; j <= j0 + rj; j += 1) {
      for (const item of index.cells.get(cellKey(i, j)) || []) {
        const d = distanceTo(item, lat0, lng0);
        if (item.kind === "address") {
          if (d <= ADDRESS_M && (!address || d < address.distance_m)) address = { label: item.label, kind: "address", distance_m: d };
        } else if (d <= STREET_M && (!street || d < street.distance_m)) {
          street = { label: item.label, kind: "street", distance_m: d };
        }
      }
    }
  }
  return address || street;
}

let built = { key: "", index: null };

/**
 * The reverse index over what this phone keeps, built once per set of versions.
 * @param {{getMeta: Function}} db
 */
export async function phoneReverseIndex(db) {
  const kept = (await db.getMeta(META_KEY, null)) || {};
  const packs = Object.values(kept);
  const key = packs.map((p) => `${p.territory_id}:${p.version}`).sort().join("|");
  if (built.key !== key || !built.index) built = { key, index: buildReverseIndex(packs) };
  return packs.length ? built.index : null;
}
