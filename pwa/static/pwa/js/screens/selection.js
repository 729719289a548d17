// Build today's route on the phone (issue 21): accounts picked on the map (tap or lasso) or in
// the list, and "Add to today". Online with nothing waiting in the outbox, the server's planner
// orders the day (POST plans/my-day/order; the sync then brings the visits and the sheet).
// Otherwise the phone does: a planned visit per account (outbox creates), ordered by the
// re-sequencer (resequence.js) from where the rep is, then ONE outbox edit of today's sheet
// (a route published today) or ONE create of the rep's own day (none yet). Either way it
// reaches the server once.

import { addToToday, replanDay, startOwnDay } from "../actions.js";
import { allRecords } from "../db.js";
import { formatNumber, t } from "../i18n.js";
import { pendingItems } from "../outbox.js";
import { resequence } from "../resequence.js";
import { h, mount, todayIso, toast } from "../ui.js";
import { replanInput, secondsInZone, todayStops } from "./today.js";
import { state } from "./accounts-common.js";

// As many as the server takes at once (plans/own_route.py MAX_STOPS).
export const MAX_SELECTED = 60;
const DEFAULT_SERVICE_S = 20 * 60;

/** @param {string} id @returns {boolean} now selected */
export function toggleSelected(id) {
  if (state.selected.has(id)) state.selected.delete(id);
  else if (state.selected.size < MAX_SELECTED) state.selected.add(id);
  else toast(t("select_at_most", { n: MAX_SELECTED }));
  return state.selected.has(id);
}

/**
 * The bar under a screen while accounts are selected: "N selected", Add to today, Clear.
 * @param {{me: object, api: object, navigate: (hash: string) => void}} ctx
 * @param {() => void} onClear
 */
export function selectionBar(ctx, onClear) {
  const bar = h("div", { class: "select-bar", id: "select-bar", role: "region", "aria-label": t("selection") });
  const update = () => {
    const n = state.selected.size;
    bar.hidden = n === 0;
    mount(
      bar,
      h("span", { id: "selected-count", role: "status" }, t("selected_n", { n: formatNumber(n) })),
      h("button", { type: "button", class: "btn btn-primary", id: "add-selected", onclick: add }, t("add_to_today")),
      h("button", { type: "button", class: "btn btn-quiet", onclick: () => {
        state.selected.clear();
        update();
        onClear();
      } }, t("clear_selection")), // prettier-ignore
    );
  };
  let busy = false;
  const add = async () => {
    if (busy || !state.selected.size) return;
    busy = true;
    try {
      const where = await addSelectedToToday([...state.selected], ctx);
      if (where === "refused") return;
      state.selected.clear();
      state.pick = "";
      toast(where === "server" ? t("added_server") : t("added_phone"));
      ctx.navigate("#/today");
    } finally {
      busy = false;
    }
  };
  update();
  return { bar, update };
}

/**
 * Add the accounts to today and order the day (see the module's comment).
 * @param {string[]} ids account ids
 * @param {{me: object, api: object}} ctx
 * @returns {Promise<"server"|"phone"|"refused">} who ordered it (refused: the toast says why)
 */
export async function addSelectedToToday(ids, ctx) {
  const online = globalThis.navigator?.onLine !== false;
  if (online && ctx.api && !(await pendingItems()).length) {
    const body = { account_ids: ids, ...(state.here ? { position: state.here } : {}) };
    const answer = await ctx.api.request("plans/my-day/order", { method: "POST", body });
    if (answer.kind === "ok") {
      ctx.sync?.request("my-day");
      return "server";
    }
    if (answer.kind !== "transient") {
      toast(errorText(answer));
      return "refused";
    }
  }
  await orderOnPhone(ids, ctx.me);
  return "phone";
}

function errorText(answer) {
  const detail = answer.data?.detail;
  return Array.isArray(detail) ? detail.map((d) => d.msg).join(" ") : String(detail || answer.status);
}

/**
 * The phone's own order: a planned visit of today per account not yet on today's list, then
 * the re-sequencer over every stop not yet done.
 * @param {string[]} ids
 * @param {object} me
 */
export async function orderOnPhone(ids, me) {
  const today = todayIso();
  const [accounts, visits, routes] = await Promise.all([allRecords("accounts"), allRecords("visits"), allRecords("routes")]);
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const planned = new Set(
    visits.filter((v) => v.rep_id === me?.id && v.scheduled_on === today && v.status === "planned").map((v) => v.account_id),
  );
  for (const id of ids) {
    const account = byId.get(id);
    if (account && !planned.has(id)) await addToToday(account, me);
  }
  const stops = todayStops(await allRecords("visits"), me?.id, today);
  const asStored = stops.map(({ logged, ...visit }) => visit);
  const now = new Date();
  const sheet = routes.find((r) => r.date === today) || null;
  if (sheet) {
    const input = replanInput(sheet, stops, byId, now, new Set());
    if (!input.stops.length) return;
    const result = resequence(input);
    const base = now.getTime() - input.now * 1000;
    const order = result.order.map((o) => ({ visit_id: o.id, arrival_at: new Date(base + o.arrival_s * 1000).toISOString() }));
    await replanDay(sheet, order, result.dropped.map((d) => ({ visit_id: d.id, reason: d.reason })), asStored);
    return;
  }
  const input = ownDayInput(stops, byId, now, me);
  if (!input.stops.length) return;
  const result = resequence(input);
  const base = now.getTime() - input.now * 1000;
  const order = result.order.map((o) => ({ visit_id: o.id, arrival_at: new Date(base + o.arrival_s * 1000).toISOString() }));
  const dropped = result.dropped.map((d) => ({ visit_id: d.id, reason: d.reason }));
  await startOwnDay(today, order, dropped, asStored, me);
}

/**
 * The re-sequencer's day without a sheet: the open stops of today from where the rep is (the
 * last known position, else home), no shift end, the phone's own time zone.
 * @param {object[]} stops todayStops()
 * @param {Map<string, object>} accounts
 * @param {Date} now
 * @param {object} me
 */
export function ownDayInput(stops, accounts, now, me) {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const home = me?.home_base ?? null;
  return {
    now: secondsInZone(now, tz),
    from: null,
    position: state.here ?? home,
    home,
    break: null,
    matrix: null,
    stops: stops
      .filter((s) => !s.logged && s.status === "planned" && !s.checked_in_at)
      .map((s) => ({ id: s.id, location: accounts.get(s.account_id)?.location ?? null, service_s: DEFAULT_SERVICE_S, windows: [], pinned: false })),
  };
}
