// Push then pull, one run at a time across tabs. The page syncs; the service worker only
// nudges ("flush" after a Background Sync event), because Workbox's own queue counts a 5xx as
// delivered and expires entries (DESIGN.md, "what has gone wrong for others").

import { applyPullPage, beginResync, getMeta, setMeta, sweepUnseen } from "./db.js";
import * as outbox from "./outbox.js";

export const BACKOFF_BASE_MS = 2_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
const LOCK_NAME = "fieldcrm-sync";
const BUSY_RETRY_MS = 1_500;
// New epochs met within one run before it gives up for now (a server restored again and
// again in a minute is not something to chase in a loop).
const MAX_EPOCH_CHANGES = 3;

/**
 * Delay before retry number `failures` (1, 2, …): exponential, capped, with "equal jitter"
 * so a fleet of phones coming out of one car park does not retry in lockstep.
 * @param {number} failures
 * @param {() => number} [random]
 * @returns {number} milliseconds
 */
export function backoffDelay(failures, random = Math.random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Create the sync engine. Every dependency is injectable so node --test drives it directly.
 * @param {{api: object, deviceId: string, isOnline?: () => boolean, now?: () => Date,
 *   random?: () => number, setTimer?: Function, clearTimer?: Function, locks?: object|null,
 *   onChange?: (state: object) => void, onRevoked?: () => Promise<void>|void}} deps
 *   onRevoked: the server said this user's access was revoked; the loop stops for good.
 */
export function createSync({
  api,
  deviceId,
  isOnline = () => globalThis.navigator?.onLine !== false,
  now = () => new Date(),
  random = Math.random,
  setTimer = (fn, ms) => setTimeout(fn, ms),
  clearTimer = (id) => clearTimeout(id),
  locks = globalThis.navigator?.locks ?? null,
  onChange = () => {},
  onRevoked = () => {},
}) {
  const state = {
    phase: "idle", // idle | syncing | offline | retrying | auth | revoked
    failures: 0,
    lastSyncAt: null,
    lastError: null,
    retryAt: null,
  };
  let running = null;
  let again = false;
  let timer = null;

  const publish = async () => {
    // After a wipe there is no outbox to count (and opening it would create it again).
    if (state.phase === "revoked") return;
    const counts = await outbox.counts();
    onChange({ ...state, ...counts, online: isOnline() });
  };

  function schedule(ms) {
    if (timer !== null) clearTimer(timer);
    state.retryAt = new Date(now().getTime() + ms).toISOString();
    timer = setTimer(() => {
      timer = null;
      state.retryAt = null;
      request("retry");
    }, ms);
  }

  /**
   * The epoch of an answer. The first one a phone meets is adopted; another than the one it
   * knows means the server was restored from a backup: keep the outbox, pull from zero and
   * send the journal again first (db.beginResync). @returns {Promise<boolean>} changed
   */
  async function meetEpoch(epoch) {
    if (!epoch) return false;
    const known = await getMeta("epoch", null);
    if (known === epoch) return false;
    if (known === null) {
      await setMeta("epoch", epoch);
      return false;
    }
    await beginResync(epoch);
    state.epochChanges = (state.epochChanges || 0) + 1;
    return true;
  }

  /** One push-then-pull. @returns {Promise<"done"|"offline"|"failed"|"revoked">} */
  async function runOnce() {
    if (state.phase === "revoked") return "revoked";
    if (!isOnline()) {
      state.phase = "offline";
      return "offline";
    }
    state.phase = "syncing";
    state.pages = 0;
    state.epochChanges = 0;
    await publish();
    for (;;) {
      const outcome = await pushThenPull();
      if (outcome !== "epoch") return outcome;
      // A new epoch: from the top, so the journal goes before the outbox and the pull.
      if (state.epochChanges > MAX_EPOCH_CHANGES) return fail({ kind: "transient", status: 409 });
    }
  }

  async function pushThenPull() {
    // Push the journal's items the server may have lost (after a restore), then everything
    // queued, in order, batch by batch.
    for (;;) {
      const epoch = await getMeta("epoch", null);
      let batch = epoch ? await outbox.journalBatch(epoch) : [];
      const fromJournal = batch.length > 0;
      if (!fromJournal) batch = await outbox.nextBatch();
      if (!batch.length) break;
      const answer = await api.push(deviceId, batch, epoch);
      if (answer.kind === "epoch") {
        await meetEpoch(answer.data.epoch);
        return "epoch";
      }
      if (answer.kind !== "ok") return fail(answer);
      if (await meetEpoch(answer.data.epoch)) return "epoch";
      const summary = fromJournal
        ? await outbox.settleJournal(answer.data.results, answer.data.epoch)
        : await outbox.settle(answer.data.results, answer.data.epoch ?? null);
      // Nothing in the batch moved: the server named none of our items; do not spin.
      if (!summary.applied && !summary.rejected && !summary.conflicts.length) {
        return fail({ kind: "transient", status: answer.status });
      }
      await publish();
    }
    let cursor = await getMeta("cursor", 0);
    let headStart = await getMeta("headStart", null);
    const resync = await getMeta("resync", null);
    if (cursor === 0 && headStart === null && resync === null && api.today) {
      // A fresh install: today's route first, so the rep can start while the full pull (a
      // minute of data on a slow link) goes on. Its rows come again in the pull.
      const answer = await api.today();
      if (answer.kind === "ok") {
        const pending = await outbox.pendingItems();
        await applyPullPage({ changes: answer.data.changes }, (store, record) =>
          outbox.overlayPending(pending, store, record),
        );
        headStart = answer.data.cursor;
        await setMeta("headStart", headStart);
        state.headStart = true;
        await publish();
      }
    }
    // Pull until the server says there is no more.
    for (;;) {
      const epoch = await getMeta("epoch", null);
      // While the cursor is 0, ask for the tombstones of rows the head start stored (after a
      // restore none are needed: the sweep at the end drops whatever the pull did not bring).
      const since = cursor === 0 && resync === null ? headStart : null;
      const answer = await api.pull(cursor, undefined, since, epoch);
      if (answer.kind !== "ok") return fail(answer);
      if (await meetEpoch(answer.data.epoch)) return "epoch";
      const pending = await outbox.pendingItems();
      await applyPullPage(answer.data, (store, record) =>
        outbox.overlayPending(pending, store, record),
      );
      cursor = answer.data.cursor;
      state.pages = (state.pages || 0) + 1;
      // A fresh install shows its first page at once rather than after the last one.
      if (state.pages === 1 && answer.data.more) await publish();
      if (!answer.data.more) break;
    }
    if (resync !== null) await sweepUnseen(resync);
    state.failures = 0;
    state.lastError = null;
    state.phase = "idle";
    state.lastSyncAt = now().toISOString();
    await setMeta("lastSyncAt", state.lastSyncAt);
    return "done";
  }

  async function fail(answer) {
    if (answer.kind === "revoked") {
      // No retry, ever: the data goes, and nothing more is sent from this phone.
      if (timer !== null) clearTimer(timer);
      timer = null;
      state.phase = "revoked";
      await onRevoked();
      return "revoked";
    }
    state.failures += 1;
    state.lastError = answer.status || "network";
    state.phase = answer.kind === "auth" ? "auth" : "retrying";
    // Every failure is transient for the outbox: back off and try again (auth included: the
    // rep may log in from another tab, and the items must survive until then).
    schedule(backoffDelay(state.failures, random));
    return "failed";
  }

  async function guarded() {
    if (!locks?.request) return runOnce();
    // Web Locks: one tab syncs; another that finds the lock taken retries a moment later
    // (its change is already in the shared outbox, so the holder may well send it).
    return locks.request(LOCK_NAME, { ifAvailable: true }, async (lock) => {
      if (!lock) {
        schedule(BUSY_RETRY_MS);
        return "busy";
      }
      return runOnce();
    });
  }

  /**
   * Ask for a sync. Calls during a run are coalesced into one more run after it.
   * @param {string} [reason]
   * @returns {Promise<string>} how the (last) run ended
   */
  function request(reason = "manual") {
    state.lastReason = reason;
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let result;
      try {
        do {
          again = false;
          try {
            result = await guarded();
          } catch (error) {
            // A bug or a storage error must not wedge the loop: count it as a failure.
            result = await fail({ kind: "transient", status: 0, error });
          }
        } while (again && result === "done");
      } finally {
        running = null;
        await publish();
      }
      return result;
    })();
    return running;
  }

  /**
   * Wire the triggers: app start, `online`, tab visible again, Background Sync's "flush".
   * @param {EventTarget} [win]
   */
  function start(win = globalThis.window) {
    if (state.phase === "revoked") return Promise.resolve("revoked");
    getMeta("lastSyncAt", null).then((at) => {
      state.lastSyncAt = state.lastSyncAt || at;
      publish();
    });
    if (win?.addEventListener) {
      win.addEventListener("online", () => request("online"));
      win.addEventListener("offline", () => {
        state.phase = "offline";
        publish();
      });
      win.document?.addEventListener("visibilitychange", () => {
        if (win.document.visibilityState === "visible") request("visible");
      });
    }
    return request("start");
  }

  /** Stop for good (this phone's access was revoked): no run, no retry. */
  function halt() {
    if (timer !== null) clearTimer(timer);
    timer = null;
    state.phase = "revoked";
  }

  return { request, start, state, publish, halt };
}
