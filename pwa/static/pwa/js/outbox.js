// The outbox policy (DESIGN.md, "Offline sync"): IndexedDB is the record, not Workbox's queue.
// An item leaves only on a per-item answer: applied / already_applied (done), conflict (done,
// the collision is kept to show on the record), rejected (kept, marked, shown until the rep
// dismisses it). A 401, a 5xx or a network error answers no item, so it settles nothing.

import {
  STORES,
  addToOutbox,
  getMeta,
  journalEntries,
  getRecord,
  outboxItems,
  putRecord,
  setMeta,
  settleOutbox,
} from "./db.js";

/** Push at most this many per request (the server's limit). */
export const MAX_BATCH = 500;

/** @returns {string} a random UUID (client-generated ids make retries harmless). */
export function newId() {
  return globalThis.crypto.randomUUID();
}

/**
 * Queue one mutation (and store its optimistic local record in the same transaction).
 * @param {{entity: string, action: "create"|"update"|"delete", id: string,
 *   base_version?: number|null, fields?: object, changes?: object}} mutation
 * @param {object|null} [record] the record as the phone should show it now
 * @returns {Promise<object>} the queued item
 */
export async function enqueue(mutation, record = null) {
  const item = {
    op_id: newId(),
    base_version: null,
    fields: {},
    changes: {},
    ...mutation,
    status: "pending",
    queued_at: new Date().toISOString(),
  };
  const local = record ? { store: STORES[mutation.entity], record: { ...record, _pending: true } } : null;
  item.seq = await addToOutbox(item, local);
  return item;
}

/**
 * The oldest pending items, as the push request wants them.
 * @param {number} [limit]
 * @returns {Promise<object[]>} mutations with their op_id (rejected items are not resent)
 */
export async function nextBatch(limit = MAX_BATCH) {
  const items = (await outboxItems()).filter((item) => item.status === "pending");
  return items.slice(0, limit).map(toMutation);
}

function toMutation(item) {
  const mutation = { op_id: item.op_id, entity: item.entity, action: item.action, id: item.id };
  if (item.base_version != null) mutation.base_version = item.base_version;
  if (item.action === "create") mutation.fields = item.fields;
  if (item.action === "update") mutation.changes = item.changes;
  return mutation;
}

/**
 * Apply a push answer. Only items named by a result move; the rest stay pending. What the
 * server acknowledged (applied, already applied, conflict) moves to the journal, stamped
 * with the epoch of the answer, in case a restore takes it away from the server.
 * @param {object[]} results the push response's `results`
 * @param {string|null} [epoch] the push response's `epoch`
 * @returns {Promise<{applied: number, conflicts: object[], rejected: number}>}
 */
export async function settle(results, epoch = null) {
  const items = await outboxItems();
  const byOp = new Map(items.map((item) => [item.op_id, item]));
  const now = new Date();
  const plan = { remove: [], update: [], records: [], drop: [], journal: [], now: now.getTime() };
  const acked = (item) => ({ ...item, status: "acked", epoch, acked_at: now.toISOString() });
  const summary = { applied: 0, conflicts: [], rejected: 0 };
  const settled = new Set();
  for (const result of results || []) {
    const item = byOp.get(result?.op_id);
    if (!item || item.status !== "pending") continue;
    if (result.status === "applied" || result.status === "already_applied") {
      plan.remove.push(item.seq);
      plan.journal.push(acked(item));
      summary.applied += 1;
    } else if (result.status === "conflict") {
      plan.remove.push(item.seq);
      plan.journal.push(acked(item));
      summary.conflicts.push({
        entity: item.entity,
        id: item.id,
        conflicts: result.conflicts || [],
        at: new Date().toISOString(),
      });
    } else if (result.status === "rejected") {
      plan.update.push({ ...item, status: "rejected", errors: result.errors || [] });
      summary.rejected += 1;
    } else {
      continue;
    }
    settled.add(item.seq);
    if (result.record && STORES[item.entity]) {
      // Tagged like a pulled record: the server of this epoch has it (db.sweepUnseen).
      const record = epoch ? { ...result.record, _epoch: epoch } : result.record;
      plan.records.push({ store: STORES[item.entity], record });
    }
  }
  // A record with a later edit still queued keeps showing that edit over the server's copy.
  const stillPending = items.filter((i) => i.status === "pending" && !settled.has(i.seq));
  plan.records = plan.records.map(({ store, record }) => ({
    store,
    record: overlayPending(stillPending, store, record),
  }));
  await settleOutbox(plan);
  if (summary.conflicts.length) {
    const kept = await getMeta("conflicts", []);
    await setMeta("conflicts", [...kept, ...summary.conflicts]);
  }
  return summary;
}

/**
 * Journal items the server acknowledged under another epoch than `epoch` (so perhaps after
 * the backup it was restored from), oldest first, as the push request wants them. They go
 * before the outbox: a queued edit may be of a record only the journal can bring back.
 * @param {string} epoch the server's current epoch
 * @param {number} [limit]
 * @returns {Promise<object[]>}
 */
export async function journalBatch(epoch, limit = MAX_BATCH) {
  const stale = (await journalEntries()).filter((entry) => entry.epoch !== epoch);
  return stale.slice(0, limit).map(toMutation);
}

/**
 * Apply the answer to a push of journal items. Acknowledged again (applied where the restore
 * had lost it, already applied where the backup had it): stamped with the new epoch, so it is
 * sent once per restore. Rejected now (e.g. its account was deleted after the restore): back
 * to the outbox as a rejected item, shown to the rep like any other rejection.
 * @param {object[]} results
 * @param {string} epoch
 * @returns {Promise<{applied: number, conflicts: object[], rejected: number}>}
 */
export async function settleJournal(results, epoch) {
  const byOp = new Map((await journalEntries()).map((entry) => [entry.op_id, entry]));
  const plan = { remove: [], update: [], records: [], journal: [], unjournal: [] };
  const summary = { applied: 0, conflicts: [], rejected: 0 };
  for (const result of results || []) {
    const entry = byOp.get(result?.op_id);
    if (!entry || entry.epoch === epoch) continue;
    if (["applied", "already_applied", "conflict"].includes(result.status)) {
      plan.journal.push({ ...entry, epoch });
      summary.applied += 1;
    } else if (result.status === "rejected") {
      const item = { ...entry };
      delete item.epoch;
      delete item.acked_at;
      plan.unjournal.push(entry.seq);
      plan.update.push({ ...item, status: "rejected", errors: result.errors || [] });
      summary.rejected += 1;
    }
  }
  await settleOutbox(plan);
  return summary;
}

/**
 * A server record with the phone's still-unsent edits on top (pull and push use it, so a pull
 * never makes a queued edit vanish from the screen).
 * @param {object[]} pending pending outbox items
 * @param {string} store
 * @param {object} record
 * @returns {object}
 */
export function overlayPending(pending, store, record) {
  let out = record;
  for (const item of pending) {
    if (item.id !== record.id || STORES[item.entity] !== store) continue;
    if (item.action === "update") {
      out = { ...out, _pending: true };
      for (const [field, change] of Object.entries(item.changes || {})) out[field] = change.new;
    }
  }
  return out;
}

/** @returns {Promise<object[]>} pending outbox items (for the pull overlay). */
export async function pendingItems() {
  return (await outboxItems()).filter((item) => item.status === "pending");
}

/** @returns {Promise<{pending: number, rejected: number}>} what the sync indicator shows. */
export async function counts() {
  const items = await outboxItems();
  const rejected = items.filter((item) => item.status === "rejected").length;
  return { pending: items.length - rejected, rejected };
}

/** @returns {Promise<object[]>} rejected items, with the server's reasons. */
export async function rejectedItems() {
  return (await outboxItems()).filter((item) => item.status === "rejected");
}

/**
 * The rep has read a rejection: drop the item and undo its optimistic local change.
 * @param {number} seq
 */
export async function dismiss(seq) {
  const item = (await outboxItems()).find((i) => i.seq === seq && i.status === "rejected");
  if (!item) return;
  const store = STORES[item.entity];
  const plan = { remove: [seq], update: [], records: [], drop: [] };
  if (store && item.action === "create") plan.drop.push({ store, id: item.id });
  await settleOutbox(plan);
  if (store && item.action === "update") {
    const record = await getRecord(store, item.id);
    if (record) {
      for (const [field, change] of Object.entries(item.changes || {})) record[field] = change.old;
      delete record._pending;
      await putRecord(store, record);
    }
  }
}

/**
 * Conflicts kept for one record (shown on it until the rep dismisses them).
 * @param {string} id
 */
export async function conflictsFor(id) {
  return (await getMeta("conflicts", [])).filter((c) => c.id === id);
}

/**
 * @param {string} id the record whose conflicts the rep has seen
 */
export async function dismissConflicts(id) {
  const kept = await getMeta("conflicts", []);
  await setMeta("conflicts", kept.filter((c) => c.id !== id));
}
