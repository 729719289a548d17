// The rest of today, re-sequenced on the phone, offline (issue 19): pure, no DOM, no clock.
//
// No maintained npm package fits: the one solver in the registry lists (salesman.js) is a
// random TSP annealer without opening hours, breaks or a shift end. So this is a small local
// search: cheapest insertion from a few deterministic orders, then relocate, or-opt (2 and 3)
// and 2-opt moves, first improvement in a fixed scan order, each candidate order timed
// exactly. The objective, in this order: serve as many stops as fit (pinned ones before any
// other), then finish earliest, then drive least.
//
// Times are seconds from local midnight, as the planner's (routing/README.md). A window is
// [from, until] for the *start* of the visit (the server subtracts the visit's length from
// the closing time, plans/planning.py); a window whose until is before its from marks a stop
// closed that day; no windows means any time. The break follows routing/model.py's one rule:
// a day (from now to arriving home) that overlaps the break window takes the break wholly
// inside it — at a stop before its visit (while waiting for it to open too) or before the
// drive home; a day that ends by the time the window opens needs none.

/** Road distance ≈ great circle × this, at this speed: routing/matrix.py's GreatCircleProvider. */
export const DETOUR_FACTOR = 1.3;
export const SPEED_KMH = 40;
const EARTH_RADIUS_M = 6_371_000;
const INF = Number.POSITIVE_INFINITY;
const FAIL = Object.freeze({ ok: false, finish: INF, travel: INF });
// A search never evaluates more orders than this (30 stops need far fewer: bench/resequence.py).
const MAX_EVALS = 400_000;
const KICKS = 12;
// No kick starts past this many evaluations (a long day has had its search by then).
const KICK_EVALS = 15_000;
const KICK_SEED = 19;

/** A seeded generator (mulberry32): deterministic kicks. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Great-circle drive time, as the server's default provider computes it.
 * @param {{lat: number, lng: number}} a
 * @param {{lat: number, lng: number}} b
 * @returns {number} seconds
 */
export function greatCircleS(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  const metres = 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h))) * DETOUR_FACTOR;
  return Math.round(metres / (SPEED_KMH / 3.6));
}

/**
 * Travel seconds between the day's points: the plan's matrix where it has both ends, else
 * great circle (a stop added on the phone, the rep's own position).
 * @param {{ids: string[], duration_s: number[][]}|null} matrix
 * @param {{key: string|null, location: {lat:number,lng:number}|null}[]} points
 * @returns {number[][]}
 */
function travelTable(matrix, points) {
  const index = new Map((matrix?.ids || []).map((id, i) => [id, i]));
  return points.map((p) =>
    points.map((q) => {
      if (p === q) return 0;
      const i = index.get(p.key);
      const j = index.get(q.key);
      if (i !== undefined && j !== undefined) return matrix.duration_s[i][j];
      if (p.location && q.location) return greatCircleS(p.location, q.location);
      return 0; // a point without a place: no drive can be known, none is counted
    }),
  );
}

function startIn(windows, t) {
  if (!windows.length) return t;
  for (const [from, until] of windows) if (until >= from && t <= until) return t < from ? from : t;
  return INF;
}

/**
 * The context every evaluation reads: node 0 is where the rep is, 1..n the stops, n+1 home.
 * @param {object} day see ``resequence``
 */
function contextOf(day) {
  const stops = day.stops;
  const here = { key: day.from ?? null, location: day.position ?? null };
  const home = day.home ? { key: "home", location: day.home } : null;
  const points = [here, ...stops.map((s) => ({ key: s.id, location: s.location ?? null }))];
  if (home) points.push(home);
  const brk = day.break;
  const latestStart = brk ? brk.window[1] - brk.duration_s : -INF;
  let pinRank = 0;
  return {
    n: stops.length,
    T: travelTable(day.matrix ?? null, points),
    homeIdx: home ? points.length - 1 : -1,
    svc: [0, ...stops.map((s) => s.service_s || 0)],
    win: [[], ...stops.map((s) => [...(s.windows || [])].sort((a, b) => a[0] - b[0]))],
    pin: [-1, ...stops.map((s) => (s.pinned ? pinRank++ : -1))],
    pinned: stops.filter((s) => s.pinned).length,
    now: day.now,
    shiftEnd: day.shiftEnd ?? INF,
    // A break already taken, or one that no longer fits in its window, is not asked for.
    brk: brk && !day.breakTaken && day.now <= latestStart
      ? { from: brk.window[0], latest: latestStart, d: brk.duration_s } : null, // prettier-ignore
    relax: { windows: false, shift: false, brk: false },
    evals: 0,
  };
}

/**
 * Time one order exactly. Two states are carried along it — break still to take, break taken —
 * each at its earliest time: with start windows and fixed drives earlier is never worse, so
 * this is exact. ``trace`` also returns where the break went.
 * @returns {{ok: boolean, finish: number, travel: number, breakAt?: number}}
 */
function evaluate(ctx, seq, trace = false, from = 0, len = seq.length) {
  ctx.evals += 1;
  const { T, svc, win, pin, relax } = ctx;
  const shiftEnd = relax.shift ? INF : ctx.shiftEnd;
  const brk = relax.brk ? null : ctx.brk;
  let lastPin = -1;
  for (let k = 0; k < len; k += 1) {
    const i = seq[k];
    if (pin[i] >= 0) {
      if (pin[i] < lastPin) return FAIL;
      lastPin = pin[i];
    }
  }
  // From ``from`` on: the states before it are those of the remembered order (same prefix).
  const pre = from > 0 ? ctx.pre : null;
  let t0 = pre ? pre.t0[from] : ctx.now; // break still to take (or none needed)
  let t1 = pre ? pre.t1[from] : INF; // break taken
  let at1 = pre ? pre.at1[from] : -1; // where state 1 took it: before the stop at that index
  let prev = pre ? seq[from - 1] : 0;
  let travel = pre ? pre.tr[from] : 0;
  if (t0 === INF && t1 === INF) return FAIL;
  const keep = ctx.keep; // set by ``remember``: record the states before each stop
  for (let k = from; k < len; k += 1) {
    if (keep) {
      keep.t0[k] = t0;
      keep.t1[k] = t1;
      keep.at1[k] = at1;
      keep.tr[k] = travel;
    }
    const i = seq[k];
    const tr = T[prev][i];
    travel += tr;
    const w = relax.windows ? [] : win[i];
    let n0 = INF;
    let n1 = INF;
    let nAt1 = at1;
    if (t1 < INF) n1 = startIn(w, t1 + tr);
    if (t0 < INF) {
      const arrive = t0 + tr;
      n0 = startIn(w, arrive);
      if (brk) {
        const bs = arrive > brk.from ? arrive : brk.from;
        if (bs <= brk.latest) {
          const s = startIn(w, bs + brk.d);
          if (s < n1) {
            n1 = s;
            nAt1 = k;
          }
        }
      }
    }
    n0 += svc[i];
    n1 += svc[i];
    t0 = n0 > shiftEnd ? INF : n0;
    t1 = n1 > shiftEnd ? INF : n1;
    at1 = nAt1;
    if (t0 === INF && t1 === INF) {
      if (keep) for (let j = k + 1; j <= len; j += 1) keep.t0[j] = keep.t1[j] = INF;
      return FAIL;
    }
    prev = i;
  }
  if (keep) {
    keep.t0[len] = t0;
    keep.t1[len] = t1;
    keep.at1[len] = at1;
    keep.tr[len] = travel;
  }
  const back = ctx.homeIdx >= 0 ? T[prev][ctx.homeIdx] : 0;
  let finish = INF;
  let breakAt = -1;
  if (t1 < INF && t1 + back <= shiftEnd) {
    finish = t1 + back;
    breakAt = at1;
  }
  if (t0 < INF && t0 + back <= shiftEnd) {
    if (!brk || t0 + back <= brk.from) {
      // No break asked for, or the day ends by the time its window opens.
      if (t0 + back < finish) {
        finish = t0 + back;
        breakAt = -1;
      }
    } else {
      const bs = t0 > brk.from ? t0 : brk.from;
      const end = bs + brk.d + back;
      if (bs <= brk.latest && end <= shiftEnd && end < finish) {
        finish = end;
        breakAt = len; // before the drive home
      }
    }
  }
  if (finish === INF) return FAIL;
  return trace ? { ok: true, finish, travel: travel + back, breakAt } : { ok: true, finish, travel: travel + back };
}

/** Lexicographic cost of the first ``len`` stops of ``seq``: pinned stops left out, stops
 *  left out, finish, drive. */
function costOf(ctx, seq, len, ev) {
  let pinnedOut = ctx.pinned;
  for (let k = 0; k < len; k += 1) if (ctx.pin[seq[k]] >= 0) pinnedOut -= 1;
  return [pinnedOut, ctx.n - len, ev.finish, ev.travel];
}

function better(a, b) {
  for (let k = 0; k < a.length; k += 1) {
    if (a[k] < b[k]) return true;
    if (a[k] > b[k]) return false;
  }
  return false;
}

/** Record the states along ``seq``: later evaluations of orders sharing a prefix start there. */
function remember(ctx, seq) {
  const n = seq.length + 1;
  ctx.keep = { t0: new Array(n), t1: new Array(n), at1: new Array(n), tr: new Array(n) };
  const ev = evaluate(ctx, seq);
  ctx.pre = ctx.keep;
  ctx.keep = null;
  return ev;
}

/** The cheapest feasible place for ``i`` in ``seq`` (a new array), or null. ``prefixed``:
 *  ``seq`` is the remembered order. */
function bestInsertion(ctx, seq, i, prefixed = false) {
  let best = null;
  let bestEv = null;
  for (let pos = 0; pos <= seq.length; pos += 1) {
    const cand = [...seq.slice(0, pos), i, ...seq.slice(pos)];
    const ev = evaluate(ctx, cand, false, prefixed ? pos : 0);
    if (ev.ok && (!bestEv || ev.finish < bestEv.finish || (ev.finish === bestEv.finish && ev.travel < bestEv.travel))) {
      best = cand;
      bestEv = ev;
    }
  }
  return best;
}

function construct(ctx, order) {
  let seq = [];
  for (const i of order) {
    remember(ctx, seq);
    seq = bestInsertion(ctx, seq, i, true) || seq;
  }
  return seq;
}

/** Improve ``seq`` until no move helps (or the evaluation budget is spent). A move that helps
 *  is taken at once and the scan goes on from there (no restart from the top). */
function improve(ctx, start) {
  let seq = start;
  let cost = costOf(ctx, seq, seq.length, remember(ctx, seq));
  // Candidate orders are written into one buffer: only an accepted one becomes an array.
  const buf = new Array(ctx.n + 1).fill(0);
  const tryBuf = (len, from) => {
    const ev = evaluate(ctx, buf, false, from, len);
    if (!ev.ok) return false;
    const c = costOf(ctx, buf, len, ev);
    if (!better(c, cost)) return false;
    seq = buf.slice(0, len);
    cost = c;
    remember(ctx, seq);
    return true;
  };
  const tryMove = (cand, from) => {
    for (let k = 0; k < cand.length; k += 1) buf[k] = cand[k];
    return tryBuf(cand.length, from);
  };
  let improved = true;
  while (improved && ctx.evals < MAX_EVALS) {
    improved = false;
    // Stops left out, back in where they fit (pinned ones first: they come first in ``all``).
    const served = new Set(seq);
    for (let i = 1; i <= ctx.n; i += 1) {
      if (served.has(i)) continue;
      const cand = bestInsertion(ctx, seq, i, true);
      if (cand && tryMove(cand, 0)) improved = true;
    }
    // Relocate one stop, or move a run of two or three (or-opt): the run from k, put back
    // before what is at ``pos`` once it is taken out.
    for (let len = 1; len <= 3; len += 1) {
      for (let k = 0; k + len <= seq.length; k += 1) {
        const m = seq.length;
        for (let pos = 0; pos <= m - len; pos += 1) {
          if (pos === k) continue;
          let w = 0;
          for (let r = 0; r < m; r += 1) {
            if (r >= k && r < k + len) continue;
            if (w === pos) for (let q = k; q < k + len; q += 1) buf[w++] = seq[q];
            buf[w++] = seq[r];
          }
          if (w === pos) for (let q = k; q < k + len; q += 1) buf[w++] = seq[q];
          if (tryBuf(m, Math.min(pos, k))) {
            improved = true;
            break;
          }
        }
      }
    }
    // 2-opt: drive a stretch the other way round; or exchange two stops.
    for (let a = 0; a < seq.length - 1; a += 1) {
      for (let b = a + 1; b < seq.length; b += 1) {
        const m = seq.length;
        for (let r = 0; r < m; r += 1) buf[r] = r < a || r > b ? seq[r] : seq[a + b - r];
        if (tryBuf(m, a)) improved = true;
      }
    }
    for (let a = 0; a < seq.length - 1; a += 1) {
      for (let b = a + 1; b < seq.length; b += 1) {
        const m = seq.length;
        for (let r = 0; r < m; r += 1) buf[r] = seq[r];
        buf[a] = seq[b];
        buf[b] = seq[a];
        if (tryBuf(m, a)) improved = true;
      }
    }
    // Swap a stop left out for a served one, when that serves a pinned stop or ends earlier.
    for (let i = 1; i <= ctx.n; i += 1) {
      if (seq.includes(i)) continue;
      for (let k = 0; k < seq.length; k += 1) {
        if (ctx.pin[seq[k]] >= 0) continue;
        const m = seq.length;
        for (let r = 0; r < m; r += 1) buf[r] = seq[r];
        buf[k] = i;
        if (tryBuf(m, k)) {
          improved = true;
          break;
        }
      }
    }
  }
  return { seq, cost };
}

/** Why stop ``i`` is left out of ``seq``: the first constraint whose relaxation lets it in. */
function whyLeftOut(ctx, seq, i) {
  const relaxed = (flags) => {
    Object.assign(ctx.relax, flags);
    const fits = bestInsertion(ctx, seq, i) !== null;
    Object.assign(ctx.relax, { windows: false, shift: false, brk: false });
    return fits;
  };
  // Not even alone, with the shift and the break set aside: its hours are over (or it is
  // closed today) by the time the rep can get there.
  Object.assign(ctx.relax, { shift: true, brk: true });
  const alone = evaluate(ctx, [i]).ok;
  Object.assign(ctx.relax, { shift: false, brk: false });
  if (!alone) return "closed";
  if (relaxed({ shift: true })) return "shift_end";
  if (relaxed({ brk: true })) return "break";
  if (relaxed({ shift: true, brk: true })) return "shift_end";
  return "no_room"; // it would make another stop miss its opening hours
}

/**
 * Re-sequence the rest of today.
 *
 * @param {object} day
 * @param {number} day.now seconds from local midnight
 * @param {{lat:number,lng:number}|null} [day.position] where the rep is now
 * @param {string|null} [day.from] the matrix id of where the rep is (a stop just done)
 * @param {{lat:number,lng:number}|null} [day.home] where the day ends (none: at the last stop)
 * @param {{id: string, location: {lat:number,lng:number}|null, service_s: number,
 *          windows?: number[][], pinned?: boolean}[]} day.stops the stops not yet done, in
 *        the current order (pinned stops keep their order among themselves)
 * @param {{window: number[], duration_s: number}|null} [day.break]
 * @param {boolean} [day.breakTaken]
 * @param {number} [day.shiftEnd]
 * @param {{ids: string[], duration_s: number[][]}|null} [day.matrix] the plan's drive times
 * @returns {{order: {id: string, arrival_s: number, start_s: number, departure_s: number,
 *   wait_s: number}[], dropped: {id: string, reason: "closed"|"shift_end"|"break"|"no_room"}[],
 *   break: {start_s: number, end_s: number, before: string|null}|null, end_s: number,
 *   drive_s: number, evaluations: number}}
 */
export function resequence(day) {
  const ctx = contextOf(day);
  const all = Array.from({ length: ctx.n }, (_, k) => k + 1);
  const pinnedFirst = (order) => [...order.filter((i) => ctx.pin[i] >= 0), ...order.filter((i) => ctx.pin[i] < 0)];
  const closes = (i) => Math.max(...ctx.win[i].map((w) => w[1]), ctx.win[i].length ? -INF : INF);
  // The current order when it still works (else its insertion rebuild, the next start).
  const starts = [
    ...(evaluate(ctx, all).ok ? [all] : []),
    construct(ctx, pinnedFirst(all)),
    construct(ctx, pinnedFirst([...all].sort((a, b) => closes(a) - closes(b) || a - b))),
  ];
  let best = null;
  for (const start of starts) {
    const found = improve(ctx, start);
    if (!best || better(found.cost, best.cost)) best = found;
  }
  // Then kick the best out of its local optimum a fixed number of times (a seeded shuffle of
  // a stretch, rebuilt by insertion), keeping what improves: the same day, the same answer.
  const random = seeded(KICK_SEED);
  for (let kick = 0; kick < KICKS && ctx.evals < KICK_EVALS && best.seq.length > 2; kick += 1) {
    const seq = best.seq;
    const len = 2 + Math.floor(random() * Math.min(4, seq.length - 1));
    const at = Math.floor(random() * (seq.length - len + 1));
    const kept = [...seq.slice(0, at), ...seq.slice(at + len)];
    const moved = seq.slice(at, at + len).reverse();
    let cand = evaluate(ctx, kept).ok ? kept : [];
    for (const i of moved) cand = bestInsertion(ctx, cand, i) || cand;
    const found = improve(ctx, cand);
    if (better(found.cost, best.cost)) best = found;
  }
  return scheduleOf(ctx, day, best.seq);
}

/** The times along ``seq`` with its break where ``evaluate`` put it. */
function scheduleOf(ctx, day, seq) {
  const { breakAt, travel } = evaluate(ctx, seq, true);
  const brk = ctx.brk;
  let t = ctx.now;
  let prev = 0;
  let taken = null;
  const takeBreak = (at, before) => {
    const start = Math.max(at, brk.from);
    taken = { start_s: start, end_s: start + brk.d, before };
    return start + brk.d;
  };
  const order = seq.map((i, k) => {
    const arrival = t + ctx.T[prev][i];
    let ready = arrival;
    if (brk && breakAt === k) ready = takeBreak(arrival, day.stops[i - 1].id);
    const start = startIn(ctx.win[i], ready);
    t = start + ctx.svc[i];
    prev = i;
    return { id: day.stops[i - 1].id, arrival_s: arrival, start_s: start, departure_s: t,
             wait_s: start - arrival }; // prettier-ignore
  });
  if (brk && breakAt === seq.length) t = takeBreak(t, null);
  const end = t + (ctx.homeIdx >= 0 ? ctx.T[prev][ctx.homeIdx] : 0);
  const served = new Set(seq);
  const dropped = [];
  for (let i = 1; i <= ctx.n; i += 1) {
    if (!served.has(i)) dropped.push({ id: day.stops[i - 1].id, reason: whyLeftOut(ctx, seq, i) });
  }
  return { order, dropped, break: taken, end_s: end, drive_s: travel, evaluations: ctx.evals };
}

/**
 * What a new order changes: each kept stop's old and new ETA, which stops moved (those off
 * the longest run the two orders share, so a stop after a removed one has not "moved"), and
 * which stops no longer fit.
 * @param {{id: string, eta_s: number|null}[]} before the current order
 * @param {ReturnType<typeof resequence>} after
 * @returns {{stops: {id: string, from: number, to: number, old_eta_s: number|null,
 *   new_eta_s: number, moved: boolean}[], dropped: {id: string, reason: string}[],
 *   changed: boolean}}
 */
export function orderChanges(before, after) {
  const oldPos = new Map(before.map((s, k) => [s.id, k]));
  const a = before.map((s) => s.id).filter((id) => after.order.some((o) => o.id === id));
  const b = after.order.map((o) => o.id);
  // Longest common subsequence (30 stops: 900 cells).
  const L = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    }
  }
  const kept = new Set();
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) {
      kept.add(a[i]);
      i += 1;
      j += 1;
    } else if (L[i + 1][j] >= L[i][j + 1]) i += 1;
    else j += 1;
  }
  const stops = after.order.map((o, k) => ({
    id: o.id,
    from: oldPos.has(o.id) ? oldPos.get(o.id) : -1,
    to: k,
    old_eta_s: before[oldPos.get(o.id)]?.eta_s ?? null,
    new_eta_s: o.arrival_s,
    moved: !kept.has(o.id),
  }));
  return { stops, dropped: after.dropped, changed: stops.some((s) => s.moved) || after.dropped.length > 0 };
}
