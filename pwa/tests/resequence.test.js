// Issue 19: the phone's re-sequencer, held to an independent checker (its own timing of every
// stop, the break tried at every place, brute force on small days) rather than to itself.

import assert from "node:assert/strict";
import { test } from "node:test";

import { greatCircleS, orderChanges, resequence } from "../static/pwa/js/resequence.js";

const H = 3600;
const M = 60;

// --- the independent checker -------------------------------------------------------------

/** Drive seconds from a to b: the matrix (keys "here", stop ids, "home"); nothing else. */
function drive(day, a, b) {
  if (a === b) return 0;
  const i = day.matrix.ids.indexOf(a);
  const j = day.matrix.ids.indexOf(b);
  assert.ok(i >= 0 && j >= 0, `test days give a full matrix (${a} → ${b})`);
  return day.matrix.duration_s[i][j];
}

function opensAt(stop, t) {
  const ws = stop.windows || [];
  if (!ws.length) return t;
  const fits = ws.filter(([a, b]) => b >= a && t <= b).map(([a]) => Math.max(a, t));
  return fits.length ? Math.min(...fits) : null;
}

/** The day's end time for ``ids`` in that order with the break before ``breakAt`` (index, or
 *  ids.length: before going home; -1: none), or null when that breaks a rule. */
function timeOrder(day, ids, breakAt) {
  const byId = new Map(day.stops.map((s) => [s.id, s]));
  const brk = day.break;
  let t = day.now;
  let at = day.from;
  for (let k = 0; k < ids.length; k += 1) {
    const stop = byId.get(ids[k]);
    t += drive(day, at, stop.id);
    if (k === breakAt) {
      const bs = Math.max(t, brk.window[0]);
      if (bs + brk.duration_s > brk.window[1]) return null;
      t = bs + brk.duration_s;
    }
    const start = opensAt(stop, t);
    if (start === null) return null;
    t = start + stop.service_s;
    at = stop.id;
  }
  if (breakAt === ids.length) {
    const bs = Math.max(t, brk.window[0]);
    if (bs + brk.duration_s > brk.window[1]) return null;
    t = bs + brk.duration_s;
  }
  t += day.home ? drive(day, at, "home") : 0;
  if (t > day.shiftEnd) return null;
  const needsBreak = brk && !day.breakTaken && day.now + brk.duration_s <= brk.window[1] && t > brk.window[0];
  if (needsBreak && breakAt < 0) return null;
  return t;
}

/** The earliest end of ``ids`` over every place for the break (null: infeasible). */
function bestEnd(day, ids) {
  const places = day.break ? [-1, ...ids.map((_, k) => k), ids.length] : [-1];
  const ends = places.map((p) => timeOrder(day, ids, p)).filter((t) => t !== null);
  return ends.length ? Math.min(...ends) : null;
}

/** Every rule checked on the engine's own answer, times included. */
function check(day, result) {
  const ids = result.order.map((o) => o.id);
  const all = new Set(day.stops.map((s) => s.id));
  assert.deepEqual(new Set([...ids, ...result.dropped.map((d) => d.id)]), all, "every stop served or reported");
  assert.equal(ids.length + result.dropped.length, all.size, "no stop twice");
  const pinned = day.stops.filter((s) => s.pinned).map((s) => s.id);
  assert.deepEqual(ids.filter((id) => pinned.includes(id)), pinned.filter((id) => ids.includes(id)), "pins keep their order");
  const byId = new Map(day.stops.map((s) => [s.id, s]));
  let t = day.now;
  let at = day.from;
  const brk = result.break;
  for (const o of result.order) {
    const stop = byId.get(o.id);
    t += drive(day, at, o.id);
    assert.equal(o.arrival_s, t, `${o.id}: arrival`);
    let ready = t;
    if (brk && brk.before === o.id) {
      assert.ok(brk.start_s >= t, "the break starts on arrival or later");
      ready = brk.end_s;
    }
    assert.ok(o.start_s >= ready, `${o.id}: starts after arriving (and the break)`);
    const ws = stop.windows || [];
    assert.ok(!ws.length || ws.some(([a, b]) => a <= o.start_s && o.start_s <= b), `${o.id}: starts inside a window`);
    assert.equal(o.departure_s, o.start_s + stop.service_s, `${o.id}: service`);
    t = o.departure_s;
    at = o.id;
  }
  if (brk && brk.before === null) {
    assert.ok(brk.start_s >= t);
    t = brk.end_s;
  }
  if (brk) {
    assert.ok(brk.start_s >= day.break.window[0] && brk.end_s <= day.break.window[1], "break inside its window");
    assert.equal(brk.end_s - brk.start_s, day.break.duration_s);
  }
  t += day.home ? drive(day, at, "home") : 0;
  assert.equal(result.end_s, t, "end of day");
  assert.ok(t <= day.shiftEnd, "ends by shift end");
  const needsBreak = day.break && !day.breakTaken && day.now + day.break.duration_s <= day.break.window[1] && t > day.break.window[0];
  assert.ok(!needsBreak || brk, "a day that spans the break window takes the break");
}

/** Brute force: the most stops that fit, and the earliest end with that many. */
function bruteForce(day) {
  const ids = day.stops.map((s) => s.id);
  let best = { served: -1, end: Infinity };
  const perms = (rest, chosen) => {
    if (chosen.length) {
      const end = bestEnd(day, chosen);
      if (end !== null && (chosen.length > best.served || (chosen.length === best.served && end < best.end))) {
        best = { served: chosen.length, end, ids: chosen };
      }
      if (end === null && !day.break) return; // a prefix that fails cannot be extended to fit
    } else if (bestEnd(day, []) !== null) best = { served: 0, end: bestEnd(day, []) };
    for (const id of rest) perms(rest.filter((x) => x !== id), [...chosen, id]);
  };
  perms(ids, []);
  return best;
}

// --- days to test --------------------------------------------------------------------------

/** A seeded generator (mulberry32): every run the same day. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ``n`` stops around a home with the matrix the server would ship (great circle). */
function randomDay(seed, n, { split = 0.3, pins = 0, now = 9 * H } = {}) {
  const r = rng(seed);
  const home = { lat: 41.39, lng: 2.17 };
  const stops = Array.from({ length: n }, (_, k) => {
    const location = { lat: home.lat + (r() - 0.5) * 0.12, lng: home.lng + (r() - 0.5) * 0.16 };
    const service_s = [15, 20, 30][Math.floor(r() * 3)] * M;
    let windows = [];
    const u = r();
    if (u < split) windows = [[9 * H, 13 * H - service_s], [16 * H, 19 * H - service_s]];
    else if (u < split + 0.3) windows = [[Math.round(9 * H + r() * 4 * H), 0]].map(([a]) => [a, a + 3 * H]);
    return { id: `s${k}`, location, service_s, windows, pinned: k < pins };
  });
  const points = [["here", home], ...stops.map((s) => [s.id, s.location]), ["home", home]];
  const matrix = {
    ids: points.map(([id]) => id),
    duration_s: points.map(([, p]) => points.map(([, q]) => greatCircleS(p, q))),
  };
  return {
    now, from: "here", position: home, home, stops, matrix, shiftEnd: 18 * H,
    break: { window: [12 * H, 14 * H], duration_s: 45 * M },
  }; // prettier-ignore
}

/** A small day with a hand-made matrix: every drive ``leg`` seconds. */
function flatDay(stops, extra = {}) {
  const ids = ["here", ...stops.map((s) => s.id), "home"];
  const leg = extra.leg ?? 10 * M;
  return {
    now: 9 * H, from: "here", home: { lat: 0, lng: 0 }, stops, shiftEnd: 17 * H, break: null,
    matrix: { ids, duration_s: ids.map((a) => ids.map((b) => (a === b ? 0 : leg))) },
    ...extra,
  }; // prettier-ignore
}

// --- tests ---------------------------------------------------------------------------------

test("great circle matches the server's default provider (1.3 detour at 40 km/h)", () => {
  // 0.1° of latitude ≈ 11,119.5 m; × 1.3 at 11.11 m/s ≈ 1,301 s (routing/matrix.py's figure).
  assert.equal(greatCircleS({ lat: 41, lng: 2 }, { lat: 41.1, lng: 2 }), 1301);
});

test("random days of 6 stops: every rule holds and the engine finds brute force's best", () => {
  for (let seed = 1; seed <= 25; seed += 1) {
    const day = randomDay(seed, 6, { now: (9 + (seed % 5)) * H });
    const result = resequence(day);
    check(day, result);
    const best = bruteForce(day);
    assert.equal(result.order.length, best.served, `seed ${seed}: stops served`);
    assert.equal(result.end_s, best.end, `seed ${seed}: end of day`);
  }
});

test("30 stops with split windows, pins and the break: every rule holds, each left-out stop says why", () => {
  for (let seed = 1; seed <= 5; seed += 1) {
    const day = randomDay(100 + seed, 30, { pins: 3 });
    const result = resequence(day);
    check(day, result);
    for (const d of result.dropped) assert.ok(["closed", "shift_end", "break", "no_room"].includes(d.reason));
    // Deterministic: the same day, the same answer.
    assert.deepEqual(resequence(day), result);
  }
});

test("a split window: a stop that missed the morning opening is visited when it opens again", () => {
  const day = flatDay([
    { id: "shop", service_s: 20 * M, windows: [[9 * H, 10 * H], [15 * H, 16 * H]] },
    { id: "bar", service_s: 20 * M, windows: [] },
  ], { now: 11 * H });
  const result = resequence(day);
  check(day, result);
  const shop = result.order.find((o) => o.id === "shop");
  assert.equal(shop.start_s, 15 * H);
  assert.deepEqual(result.order.map((o) => o.id), ["bar", "shop"]);
});

test("the break is taken inside its window, while waiting for a shop to open when it can", () => {
  const day = flatDay([
    { id: "a", service_s: 30 * M, windows: [] },
    { id: "b", service_s: 30 * M, windows: [[14 * H, 16 * H]] },
  ], { now: 11 * H, break: { window: [12 * H, 14 * H], duration_s: 60 * M } });
  const result = resequence(day);
  check(day, result);
  assert.equal(result.break.start_s, 12 * H);
  assert.equal(result.order.find((o) => o.id === "b").start_s, 14 * H);
  assert.equal(result.end_s, 14 * H + 40 * M); // the hour's break cost nothing: it filled a wait
});

test("a rep who finishes before the break window opens needs no break", () => {
  const day = flatDay([{ id: "a", service_s: 20 * M, windows: [] }], {
    now: 9 * H, break: { window: [12 * H, 14 * H], duration_s: 60 * M },
  }); // prettier-ignore
  const result = resequence(day);
  check(day, result);
  assert.equal(result.break, null);
});

test("infeasible: each stop that no longer fits says why (closed, shift end, break, no room)", () => {
  const day = flatDay([
    { id: "gone", service_s: 20 * M, windows: [[9 * H, 10 * H]] }, // closes before the rep can get there
    { id: "shut", service_s: 20 * M, windows: [[9 * H, 8 * H]] }, // closed today
    { id: "long", service_s: 5 * H, windows: [] }, // past the shift end
    { id: "ok", service_s: 20 * M, windows: [] },
  ], { now: 11 * H, shiftEnd: 15 * H });
  const result = resequence(day);
  check(day, result);
  assert.deepEqual(result.order.map((o) => o.id), ["ok"]);
  assert.deepEqual(
    Object.fromEntries(result.dropped.map((d) => [d.id, d.reason])),
    { gone: "closed", shut: "closed", long: "shift_end" },
  );
  // Two stops that only fit if the rep skips the break: the second says "break".
  const lunch = flatDay([
    { id: "x", service_s: 60 * M, windows: [[11 * H, 12 * H]] },
    { id: "y", service_s: 60 * M, windows: [[12 * H, 12 * H + 30 * M]] },
  ], { now: 11 * H, leg: 0, break: { window: [11 * H, 13 * H + 30 * M], duration_s: 60 * M } });
  const r2 = resequence(lunch);
  check(lunch, r2);
  assert.equal(r2.order.length, 1);
  assert.equal(r2.dropped[0].reason, "break");
  // Two stops in the same hour: one of them has no room.
  const clash = flatDay([
    { id: "p", service_s: 60 * M, windows: [[10 * H, 10 * H]] },
    { id: "q", service_s: 60 * M, windows: [[10 * H + 30 * M, 10 * H + 30 * M]] },
  ], { now: 9 * H, leg: 0 });
  const r3 = resequence(clash);
  check(clash, r3);
  assert.deepEqual(r3.dropped.map((d) => d.reason), ["no_room"]);
});

test("pinned stops keep their order and are served before any other", () => {
  const day = flatDay([
    { id: "p2", service_s: 60 * M, windows: [], pinned: true },
    { id: "free", service_s: 60 * M, windows: [[9 * H, 10 * H + 30 * M]] },
    { id: "p1", service_s: 60 * M, windows: [], pinned: true },
  ], { now: 9 * H, shiftEnd: 12 * H + 30 * M });
  const result = resequence(day);
  check(day, result);
  const ids = result.order.map((o) => o.id);
  assert.ok(ids.indexOf("p2") < ids.indexOf("p1"));
  assert.ok(ids.includes("p2") && ids.includes("p1"));
});

test("a stop added on the phone (not in the plan's matrix) is timed by great circle", () => {
  const day = randomDay(7, 4);
  const extra = { id: "new", location: { lat: 41.4, lng: 2.18 }, service_s: 15 * M, windows: [] };
  const result = resequence({ ...day, stops: [...day.stops, extra] });
  const at = result.order.findIndex((o) => o.id === "new");
  assert.ok(at >= 0);
  const prev = at === 0 ? day.home : day.stops.find((s) => s.id === result.order[at - 1].id).location;
  const dep = at === 0 ? day.now : result.order[at - 1].departure_s;
  const brk = result.break?.before === "new" ? result.break.end_s - result.break.start_s : 0;
  assert.equal(result.order[at].arrival_s, dep + greatCircleS(prev, extra.location));
  assert.ok(result.order[at].start_s >= result.order[at].arrival_s + brk);
});

test("what changes: moved stops are those off the common run, not those after a dropped one", () => {
  const before = ["a", "b", "c", "d", "e"].map((id, k) => ({ id, eta_s: 9 * H + k * H }));
  const after = {
    order: ["d", "a", "c", "e"].map((id, k) => ({ id, arrival_s: 10 * H + k * H })),
    dropped: [{ id: "b", reason: "closed" }],
  };
  const changes = orderChanges(before, after);
  assert.deepEqual(changes.stops.filter((s) => s.moved).map((s) => s.id), ["d"]);
  assert.equal(changes.stops[0].old_eta_s, 12 * H);
  assert.equal(changes.stops[0].new_eta_s, 10 * H);
  assert.ok(changes.changed);
});
