// The ONLY module touching IndexedDB (STYLE.md 2.6): the schema, its upgrades and accessors.
// Everything else asks this module, so a schema change is one DB_VERSION bump in one file.

import { deleteDB, openDB } from "idb";

export const DB_VERSION = 6;

// The journal (issue 23): what the server acknowledged, kept so that after the server is
// restored from a backup (a new epoch) the phone can send again what the backup lacks. Bound:
// the newest 5,000 items and nothing acknowledged more than 14 days ago, whichever is fewer
// (README, "Backups and restore", says what that guarantees).
export const JOURNAL_MAX_ITEMS = 5000;
export const JOURNAL_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

/** Entity name (the sync protocol's) → object store (the pull payload's plural). */
export const STORES = {
  account: "accounts",
  contact: "contacts",
  activity: "activities",
  visit: "visits",
  task: "tasks",
  notification: "notifications",
  route: "routes",
  product: "products",
  price_list: "price_lists",
  price_item: "price_items",
  order: "orders",
};

const RECORD_STORES = Object.values(STORES);
// Records that hang off an account: dropped with it when pull says the account was removed.
const CHILD_STORES = ["contacts", "activities", "visits", "tasks", "orders"];

let dbName = "fieldcrm";
let dbPromise = null;

/**
 * Use another database name (tests give each case its own, a fresh phone in one line).
 * @param {string} name
 */
export function useDatabase(name) {
  dbPromise = null;
  dbName = name;
}

/** @returns {Promise<import("idb").IDBPDatabase>} the opened database (opened once). */
export function getDb() {
  if (!dbPromise) {
    dbPromise = openDB(dbName, DB_VERSION, {
      upgrade(db, oldVersion, _newVersion, transaction) {
        if (oldVersion < 1) {
          for (const name of ["accounts", "contacts", "activities", "visits", "tasks"]) {
            const store = db.createObjectStore(name, { keyPath: "id" });
            if (CHILD_STORES.includes(name)) store.createIndex("account_id", "account_id");
          }
          const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
          outbox.createIndex("op_id", "op_id", { unique: true });
          outbox.createIndex("record_id", "id");
          db.createObjectStore("meta");
        }
        // Version 2 (issue 17): notifications. The app before it skipped them in pulls while
        // its cursor moved on, so an upgraded phone pulls again from 0, keeping its data, with
        // the tombstones since its old cursor (the head start's mechanism, sync.js).
        if (oldVersion < 2) db.createObjectStore("notifications", { keyPath: "id" });
        if (oldVersion === 1) {
          const meta = transaction.objectStore("meta");
          meta.get("cursor").then((cursor) => {
            if (!cursor) return;
            meta.put(cursor, "headStart");
            meta.put(0, "cursor");
          });
        }
        // Version 3 (issue 23): the journal of acknowledged items, keyed by their outbox seq
        // (the order they were queued in, which is the order they are sent again). The outbox,
        // records and cursor stay as they are: an upgraded phone sends what it had queued.
        if (oldVersion < 3) db.createObjectStore("journal", { keyPath: "seq" });
        // Version 4 (issue 19): route sheets, what re-planning the rest of today offline needs.
        // The cursor stays: a sheet is one day's, so an upgraded phone gets the next one
        // published rather than pull everything again for today's.
        if (oldVersion < 4) db.createObjectStore("routes", { keyPath: "id" });
        // Version 5 (issue 18): the price lists, their items and products, and orders and
        // quotes (lines inside). The app before it skipped them in pulls while its cursor
        // moved on, so an upgraded phone pulls again from 0 as for version 2, keeping its data
        // and outbox (version 1 has done so above already).
        if (oldVersion < 5) {
          db.createObjectStore("products", { keyPath: "id" });
          db.createObjectStore("price_lists", { keyPath: "id" });
          db.createObjectStore("price_items", { keyPath: "id" }).createIndex("price_list_id", "price_list_id");
          db.createObjectStore("orders", { keyPath: "id" }).createIndex("account_id", "account_id");
        }
        if (oldVersion >= 2 && oldVersion < 5) {
          const meta = transaction.objectStore("meta");
          meta.get("cursor").then((cursor) => {
            if (!cursor) return;
            meta.put(cursor, "headStart");
            meta.put(0, "cursor");
          });
        }
        // Version 6 (issue 21): a visit's photos (blob, SHA-256, kind, the visit's id, the
        // upload's id and offset) until they are sent; nothing else changes.
        if (oldVersion < 6) db.createObjectStore("photos", { keyPath: "id" }).createIndex("visit_id", "visit_id");
      },
      // Another tab opened a newer version: let it upgrade rather than block it.
      blocking() {
        dbPromise?.then((db) => db.close());
        dbPromise = null;
      },
    });
  }
  return dbPromise;
}

/**
 * @param {string} key
 * @param {*} [fallback]
 * @returns {Promise<*>}
 */
export async function getMeta(key, fallback = undefined) {
  const value = await (await getDb()).get("meta", key);
  return value === undefined ? fallback : value;
}

/**
 * @param {string} key
 * @param {*} value
 */
export async function setMeta(key, value) {
  await (await getDb()).put("meta", value, key);
}

/**
 * @param {string} store one of STORES' values
 * @param {string} id
 */
export async function getRecord(store, id) {
  return (await getDb()).get(store, id);
}

/** @param {string} store */
export async function allRecords(store) {
  return (await getDb()).getAll(store);
}

/**
 * @param {string} store an indexed store
 * @param {string} index
 * @param {string} key
 */
export async function recordsBy(store, index, key) {
  return (await getDb()).getAllFromIndex(store, index, key);
}

/**
 * @param {string} store a child store (contacts, activities, visits, tasks, orders)
 * @param {string} accountId
 */
export async function recordsOfAccount(store, accountId) {
  return (await getDb()).getAllFromIndex(store, "account_id", accountId);
}

/**
 * @param {string} store
 * @param {object} record
 */
export async function putRecord(store, record) {
  await (await getDb()).put(store, record);
}

/**
 * A local change and its outbox item in one transaction: the phone never shows a change
 * it has not queued, and never queues one it does not show.
 * @param {object} item the outbox item (without seq)
 * @param {{store: string, record: object}|null} local the optimistic record, if any
 * @returns {Promise<number>} the item's seq
 */
export async function addToOutbox(item, local) {
  const db = await getDb();
  const stores = local ? ["outbox", local.store] : ["outbox"];
  const tx = db.transaction(stores, "readwrite");
  const seq = await tx.objectStore("outbox").add(item);
  if (local) await tx.objectStore(local.store).put(local.record);
  await tx.done;
  return seq;
}

/** @returns {Promise<object[]>} every outbox item, oldest first. */
export async function outboxItems() {
  return (await getDb()).getAll("outbox");
}

/** @param {object} item an item read from the outbox (with seq) */
export async function putOutboxItem(item) {
  await (await getDb()).put("outbox", item);
}

/**
 * Apply the answers to one pushed batch in one transaction: an item leaves the outbox and
 * enters the journal at once, so it is never in neither (nor sent again as new work).
 * @param {{remove: number[], update: object[], records: {store: string, record: object}[],
 *   drop?: {store: string, id: string}[], journal?: object[], unjournal?: number[],
 *   now?: number}} plan
 */
export async function settleOutbox(plan) {
  const db = await getDb();
  const tx = db.transaction(["outbox", "journal", ...RECORD_STORES], "readwrite");
  const outbox = tx.objectStore("outbox");
  const journal = tx.objectStore("journal");
  await Promise.all([
    ...plan.remove.map((seq) => outbox.delete(seq)),
    ...plan.update.map((item) => outbox.put(item)),
    ...plan.records.map(({ store, record }) => tx.objectStore(store).put(record)),
    ...(plan.drop || []).map(({ store, id }) => tx.objectStore(store).delete(id)),
    ...(plan.journal || []).map((entry) => journal.put(entry)),
    ...(plan.unjournal || []).map((seq) => journal.delete(seq)),
  ]);
  if (plan.journal?.length) await pruneJournal(journal, plan.now ?? Date.now());
  await tx.done;
}

// Oldest first (seq order is acknowledgement order): beyond the bound, or too old.
async function pruneJournal(journal, now) {
  let excess = (await journal.count()) - JOURNAL_MAX_ITEMS;
  let cursor = await journal.openCursor();
  while (cursor) {
    const old = now - Date.parse(cursor.value.acked_at) > JOURNAL_MAX_AGE_MS;
    if (excess <= 0 && !old) break;
    await cursor.delete();
    excess -= 1;
    cursor = await cursor.continue();
  }
}

/** @returns {Promise<object[]>} the journal, oldest first. */
export async function journalEntries() {
  return (await getDb()).getAll("journal");
}

/**
 * The server has another epoch (it was restored from a backup): remember it, pull from
 * zero, and sweep afterwards what the full pull did not bring (`resync`), in one step. The
 * outbox and the journal stay: the journal's items acknowledged under another epoch are sent
 * again before anything else (outbox.js).
 * @param {string} epoch
 */
export async function beginResync(epoch) {
  const db = await getDb();
  const tx = db.transaction("meta", "readwrite");
  const meta = tx.objectStore("meta");
  await Promise.all([meta.put(epoch, "epoch"), meta.put(0, "cursor"), meta.put(epoch, "resync")]);
  await tx.done;
}

/**
 * The end of a full pull after a new epoch: every record the pull did not bring (the server
 * no longer has it, or it is deleted there) goes, except those of the outbox (still to be
 * sent, or rejected and shown to the rep). Pulled records carry the epoch they came in.
 * @param {string} epoch
 * @returns {Promise<number>} how many records went
 */
export async function sweepUnseen(epoch) {
  const db = await getDb();
  const tx = db.transaction([...RECORD_STORES, "outbox", "meta"], "readwrite");
  const queued = new Set((await tx.objectStore("outbox").getAll()).map((item) => item.id));
  let swept = 0;
  for (const name of RECORD_STORES) {
    let cursor = await tx.objectStore(name).openCursor();
    while (cursor) {
      if (cursor.value._epoch !== epoch && !queued.has(cursor.value.id)) {
        await cursor.delete();
        swept += 1;
      }
      cursor = await cursor.continue();
    }
  }
  await tx.objectStore("meta").delete("resync");
  await tx.done;
  return swept;
}

/**
 * Store one pull page and its cursor in one transaction, so a page is either all in or not
 * at all and the cursor never runs ahead of the data. A page without a cursor (the head
 * start) leaves the cursor where it was.
 * Records carry the epoch they were pulled in (`_epoch`), for the sweep after a restore.
 * @param {{cursor?: number, epoch?: string, changes: object, deleted?: object,
 *   removed?: object}} page
 * @param {(store: string, record: object) => object} [overlay] re-applies still-pending
 *   local edits on top of a pulled record
 */
export async function applyPullPage(page, overlay = (_store, record) => record) {
  const db = await getDb();
  const tx = db.transaction([...RECORD_STORES, "meta"], "readwrite");
  const writes = [];
  for (const [store, records] of Object.entries(page.changes || {})) {
    if (!RECORD_STORES.includes(store)) continue;
    for (const record of records) {
      const tagged = page.epoch ? { ...record, _epoch: page.epoch } : record;
      writes.push(tx.objectStore(store).put(overlay(store, tagged)));
    }
  }
  for (const [store, ids] of Object.entries(page.deleted || {})) {
    if (!RECORD_STORES.includes(store)) continue;
    for (const id of ids) writes.push(tx.objectStore(store).delete(id));
  }
  for (const accountId of page.removed?.accounts || []) {
    writes.push(tx.objectStore("accounts").delete(accountId));
    for (const store of CHILD_STORES) {
      const index = tx.objectStore(store).index("account_id");
      writes.push(
        index.getAllKeys(accountId).then((keys) =>
          Promise.all(keys.map((key) => tx.objectStore(store).delete(key))),
        ),
      );
    }
  }
  if (page.cursor !== undefined) writes.push(tx.objectStore("meta").put(page.cursor, "cursor"));
  await Promise.all(writes);
  await tx.done;
}

/** @param {object} photo a visit photo (photos.js), its blob included */
export async function putPhoto(photo) {
  await (await getDb()).put("photos", photo);
}

/** @param {string} id */
export async function deletePhoto(id) {
  await (await getDb()).delete("photos", id);
}

/** @returns {Promise<object[]>} every photo on this phone */
export async function allPhotos() {
  return (await getDb()).getAll("photos");
}

/** @param {string} visitId */
export async function photosOfVisit(visitId) {
  return (await getDb()).getAllFromIndex("photos", "visit_id", visitId);
}

/** A visit form left without saving: its photos (drafts) go when a form opens again. */
export async function dropDraftPhotos() {
  const db = await getDb();
  const tx = db.transaction("photos", "readwrite");
  let cursor = await tx.store.openCursor();
  while (cursor) {
    if (cursor.value.status === "draft") await cursor.delete();
    cursor = await cursor.continue();
  }
  await tx.done;
}

/**
 * The visit is saved: its draft photos wait for it to sync, then go up.
 * @param {string} visitId
 */
export async function promotePhotos(visitId) {
  const db = await getDb();
  const tx = db.transaction("photos", "readwrite");
  for (const photo of await tx.store.index("visit_id").getAll(visitId)) {
    if (photo.status === "draft") await tx.store.put({ ...photo, status: "waiting" });
  }
  await tx.done;
}

/** Forget everything (another user signs in on this phone). */
export async function clearAll() {
  const db = await getDb();
  const names = [...RECORD_STORES, "outbox", "journal", "meta", "photos"];
  const tx = db.transaction(names, "readwrite");
  await Promise.all(names.map((name) => tx.objectStore(name).clear()));
  await tx.done;
}

/**
 * Delete the whole database, outbox and device id included (this phone's access was revoked).
 * Other tabs holding it open close it when asked (`blocking` above), so the deletion is not
 * left waiting on them.
 */
export async function destroyDatabase() {
  const open = dbPromise;
  dbPromise = null;
  if (open) (await open).close();
  await deleteDB(dbName);
}
