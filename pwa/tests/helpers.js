// Shared setup for node --test: an in-memory IndexedDB and a fresh database per test.

import "fake-indexeddb/auto";
import { useDatabase } from "../static/pwa/js/db.js";

let counter = 0;

/** Give the calling test its own empty phone. */
export function freshPhone() {
  counter += 1;
  useDatabase(`fieldcrm-test-${process.pid}-${counter}`);
}

/**
 * A fake sync API answering from a script of canned answers (or functions of the request).
 * @param {{push?: Function, pull?: Function}} handlers
 */
export function fakeApi(handlers) {
  const calls = { push: [], pull: [] };
  return {
    calls,
    push: async (deviceId, mutations) => {
      calls.push.push(mutations);
      return handlers.push(mutations, calls.push.length);
    },
    pull: async (cursor) => {
      calls.pull.push(cursor);
      return (handlers.pull || (() => ok({ cursor, more: false, changes: {}, deleted: {}, removed: {} })))(cursor, calls.pull.length);
    },
  };
}

export const ok = (data) => ({ kind: "ok", status: 200, data });

/** Answer every mutation of a push with the same status. */
export function answerAll(status, extra = {}) {
  return (mutations) =>
    ok({
      cursor: 1,
      results: mutations.map((m) => ({ op_id: m.op_id, status, entity: m.entity, id: m.id, ...extra })),
    });
}
