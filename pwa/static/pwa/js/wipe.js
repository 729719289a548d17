// What a phone does when the server says its user's access was revoked (a lost phone, a rep
// who left): forget everything it holds about customers. An ordinary ended session never
// comes here; it keeps the data and the outbox until the next login (api.js tells them apart
// by the 401's `code`).

import { destroyDatabase } from "./db.js";
import { counts } from "./outbox.js";

/**
 * Caches that hold answers about customers (API reads, map tiles of the rep's area). The
 * precache holds only the app's own code and shell, which carry no data.
 * @param {string} name
 */
export function holdsData(name) {
  return !name.includes("precache");
}

/**
 * Delete the local database (records, outbox, cursor, device id) and the data caches.
 * Unsent changes go too: they cannot be sent without the access that was revoked, and left on
 * a phone someone else may hold they would leak what they say. The caller tells the person
 * how many were lost, so it is never silent.
 * @param {{cachesImpl?: CacheStorage|null}} [options]
 * @returns {Promise<{unsent: number}>} how many changes had not reached the server
 */
export async function wipeDevice({ cachesImpl = globalThis.caches ?? null } = {}) {
  let unsent = 0;
  try {
    unsent = (await counts()).pending;
  } catch {
    // A broken database is wiped all the same.
  }
  await destroyDatabase();
  if (cachesImpl) {
    const names = await cachesImpl.keys();
    await Promise.all(names.filter(holdsData).map((name) => cachesImpl.delete(name)));
  }
  return { unsent };
}
