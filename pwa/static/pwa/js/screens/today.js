// Today: my published route in stop order, ETA and status, a navigate link per stop, and a
// small map drawn by Leaflet from local files (tiles only when online and configured).

import { replanDay } from "../actions.js";
import { allRecords, getMeta } from "../db.js";
import { navigateLinks, outside } from "../geo.js";
import { formatTime, t } from "../i18n.js";
import { orderChanges, resequence } from "../resequence.js";
import { h, loadScript, mount, todayIso } from "../ui.js";

// Running this much behind a stop's planned arrival is "late": the phone offers a re-plan.
export const LATE_MARGIN_S = 10 * 60;
// A visit added on the phone, or a stop the sheet does not know, lasts this long.
const DEFAULT_SERVICE_S = 20 * 60;
// "Keep" hides the offer for this long, unless something else changes (a skip).
const KEEP_FOR_MS = 20 * 60 * 1000;

// What the rep chose on this page: stops skipped today, and when they last said "Keep".
const choices = { skipped: new Set(), keptAt: -Infinity, keptFor: "" };

/**
 * Today's stops, in the order the rep should drive them.
 * @param {object[]} visits
 * @param {number} repId
 * @param {string} today YYYY-MM-DD
 * @returns {object[]} stops, each with `done` when a visit was logged for it today
 */
export function todayStops(visits, repId, today) {
  const mine = visits.filter((v) => v.rep_id === repId);
  const stops = mine.filter((v) => v.scheduled_on === today && v.status !== "cancelled");
  // Visits logged apart from any stop (no schedule) that day, by stop and by account.
  const logged = new Map();
  for (const v of mine) {
    if (v.status === "done" && !v.scheduled_on && v.completed_at && todayIso(new Date(v.completed_at)) === today) {
      logged.set(v.logged_for || v.account_id, v);
      logged.set(v.account_id, v);
    }
  }
  const key = (v) => [
    v.route_sequence ?? Number.MAX_SAFE_INTEGER,
    v.planned_arrival_at || "",
    v.window_start || "99",
    v.created_at || "",
  ];
  stops.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i += 1) {
      if (ka[i] < kb[i]) return -1;
      if (ka[i] > kb[i]) return 1;
    }
    return 0;
  });
  // A stop logged on this version of the app is its own visit, done (issue 14); a separate
  // visit logged for the stop or its account today (older apps, the account screen) also counts.
  return stops.map((v) => ({
    ...v,
    logged: v.status === "done" ? v : logged.get(v.id) || logged.get(v.account_id) || null,
  }));
}

/**
 * A stop's number, the same in the list and on the map: its place in the published route
 * (its sequence), not its place among the stops this phone can draw (issue 14).
 * @param {object} stop
 * @param {number} index its place in today's list (for stops that have no sequence)
 * @returns {number}
 */
export function stopNumber(stop, index) {
  return stop.route_sequence ?? index + 1;
}

/**
 * "9,10" for stops 9 and 10, "3–5" for a run of three or more: one label for stops drawn too
 * close together to be told apart.
 * @param {number[]} numbers
 * @returns {string}
 */
export function numbersLabel(numbers) {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j += 1;
    parts.push(j - i >= 2 ? `${sorted[i]}–${sorted[j]}` : sorted.slice(i, j + 1).join(","));
    i = j + 1;
  }
  return parts.join(",");
}

/**
 * Labels that do not stack: stops closer than ``minPx`` on screen (directly or through a
 * chain of close stops) share one label, placed on the lowest-numbered of them.
 * @param {{number: number, x: number, y: number}[]} points screen positions, in pixels
 * @param {number} minPx
 * @returns {{at: number, text: string, merged: boolean}[]} ``at``: index of the labelled point
 */
export function mapLabels(points, minPx) {
  const parent = points.map((_, i) => i);
  const root = (i) => (parent[i] === i ? i : (parent[i] = root(parent[i])));
  for (let i = 0; i < points.length; i += 1) {
    for (let j = i + 1; j < points.length; j += 1) {
      if (Math.hypot(points[i].x - points[j].x, points[i].y - points[j].y) < minPx) {
        parent[root(j)] = root(i);
      }
    }
  }
  const groups = new Map();
  points.forEach((_, i) => {
    const key = root(i);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(i);
  });
  return [...groups.values()]
    .map((members) => {
      const at = members.reduce((best, i) => (points[i].number < points[best].number ? i : best));
      return { at, text: numbersLabel(members.map((i) => points[i].number)), merged: members.length > 1 };
    })
    .sort((a, b) => points[a.at].number - points[b.at].number);
}

/**
 * @param {HTMLElement} root
 * @param {{me: object, config: object}} ctx
 */
export async function renderToday(root, ctx) {
  const [visits, accounts, routes, navApp] = await Promise.all([
    allRecords("visits"), allRecords("accounts"), allRecords("routes"), getMeta("nav_app", "system"),
  ]); // prettier-ignore
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const today = todayIso();
  const stops = todayStops(visits, ctx.me?.id, today);
  const sheet = routes.find((r) => r.date === today) || null;
  const dropped = new Map((sheet?.dropped || []).map((d) => [d.visit_id, d.reason]));
  const rerender = () => renderToday(root, ctx);
  const mapBox = h("div", { class: "map", role: "region", "aria-label": t("route_map") });
  const list = h(
    "ol",
    { class: "stops", "aria-label": t("todays_stops") },
    stops.map((stop, index) =>
      stopItem(stop, index, byId.get(stop.account_id), {
        leftOut: dropped.get(stop.id),
        navApp,
        onSkip: sheet ? () => { choices.skipped.add(stop.id); rerender(); } : null, // prettier-ignore
      }),
    ),
  );
  mount(
    root,
    h("h1", null, t("today")),
    sheet ? replanOffer(sheet, stops, byId, rerender) : null,
    stops.length ? mapBox : null,
    stops.length ? list : h("p", { class: "empty" }, t("no_stops_today")),
  );
  if (stops.length) drawMap(mapBox, stops, byId, ctx.config);
}

/**
 * Seconds from local midnight in the route's time zone.
 * @param {Date} date
 * @param {string} tz
 * @returns {number}
 */
export function secondsInZone(date, tz) {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(date); // prettier-ignore
  const get = (type) => Number(parts.find((p) => p.type === type)?.value || 0);
  return get("hour") * 3600 + get("minute") * 60 + get("second");
}

/**
 * The re-sequencer's day from the phone's data: the stops not yet done (less those skipped),
 * from where the rep last was (the last stop done, else home), with the sheet's windows,
 * visit lengths, pins, break, shift end and drive times.
 * @param {object} sheet the route sheet
 * @param {object[]} stops todayStops()
 * @param {Map<string, object>} accounts by id
 * @param {Date} now
 * @param {Set<string>} skipped visit ids
 */
export function replanInput(sheet, stops, accounts, now, skipped) {
  const day = sheet.day || {};
  const nowS = secondsInZone(now, day.tz || "UTC");
  const known = new Map((day.stops || []).map((s) => [s.visit_id, s]));
  const open = stops.filter((s) => !s.logged && s.status === "planned");
  const done = stops.filter((s) => s.logged).sort((a, b) => (a.logged.completed_at || "").localeCompare(b.logged.completed_at || ""));
  const last = done.at(-1);
  const remaining = open.filter((s) => !skipped.has(s.id));
  return {
    now: nowS,
    from: last ? last.id : day.home ? "home" : null,
    position: last ? accounts.get(last.account_id)?.location ?? null : day.home ?? null,
    home: day.home ?? null,
    shiftEnd: day.shift_end_s ?? undefined,
    break: day.break ?? null,
    matrix: day.matrix ?? null,
    stops: remaining.map((s) => {
      const k = known.get(s.id);
      return {
        id: s.id,
        location: k?.location ?? accounts.get(s.account_id)?.location ?? null,
        service_s: k?.service_s ?? DEFAULT_SERVICE_S,
        windows: k?.windows ?? [],
        pinned: Boolean(k?.pinned),
      };
    }),
    // Planned arrivals in the same seconds, for "old → new" and for lateness.
    before: remaining.map((s) => ({
      id: s.id,
      eta_s: s.planned_arrival_at ? nowS + Math.round((Date.parse(s.planned_arrival_at) - now.getTime()) / 1000) : null,
    })),
    skipped: open.filter((s) => skipped.has(s.id)).map((s) => s.id),
  };
}

/** Minutes the rep is behind the next stop's planned arrival (0 when on time). */
function lateMinutes(input) {
  const next = input.before[0];
  if (!next || next.eta_s == null) return 0;
  const behind = input.now - next.eta_s;
  return behind > LATE_MARGIN_S ? Math.round(behind / 60) : 0;
}

function replanOffer(sheet, stops, accounts, rerender) {
  const now = new Date();
  const input = replanInput(sheet, stops, accounts, now, choices.skipped);
  const late = lateMinutes(input);
  // A stop the sheet does not know is one the rep added today ("add to today").
  const known = new Set([
    ...(sheet.day?.stops || []).map((s) => s.visit_id),
    ...(sheet.order || []).map((o) => o.visit_id),
    ...(sheet.dropped || []).map((d) => d.visit_id),
  ]);
  const added = input.stops.filter((s) => !known.has(s.id)).length;
  const why = input.skipped.length ? "skipped" : added ? "added" : late ? "late" : null;
  const signature = `${why}:${input.skipped.join(",")}:${added}`;
  if (!why || !input.stops.length) return null;
  if (choices.keptFor === signature && now.getTime() - choices.keptAt < KEEP_FOR_MS) return null;
  const box = h("section", { class: "replan", "aria-label": t("replan_title") });
  const offer = () =>
    mount(
      box,
      h("p", null, { late: () => t("replan_late", { minutes: late }), added: () => t("replan_added", { n: added }),
                     skipped: () => t("replan_skipped", { n: input.skipped.length }) }[why]()), // prettier-ignore
      h("button", { type: "button", class: "btn btn-primary", onclick: propose }, t("replan_offer")),
    );
  const propose = () => {
    const started = performance.now();
    const result = resequence(input);
    box.dataset.engineMs = String(Math.round(performance.now() - started));
    const changes = orderChanges(input.before, result);
    const nameOf = (id) => {
      const stop = stops.find((s) => s.id === id);
      return stop?.account_name || accounts.get(stop?.account_id)?.name || "";
    };
    const at = (s) => (s == null ? "–" : `${String(Math.floor(s / 3600) % 24).padStart(2, "0")}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}`);
    const accept = async () => {
      const base = now.getTime() - input.now * 1000;
      const order = result.order.map((o) => ({ visit_id: o.id, arrival_at: new Date(base + o.arrival_s * 1000).toISOString() }));
      const left = [
        ...result.dropped.map((d) => ({ visit_id: d.id, reason: d.reason })),
        ...input.skipped.map((id) => ({ visit_id: id, reason: "skipped" })),
      ];
      // The visits as stored (todayStops adds ``logged`` for the screen only).
      const visits = stops.map(({ logged, ...visit }) => visit);
      await replanDay(sheet, order, left, visits);
      choices.skipped.clear();
      rerender();
    };
    const keep = () => {
      choices.keptAt = Date.now();
      choices.keptFor = signature;
      rerender();
    };
    mount(
      box,
      h("h2", null, t("replan_title")),
      changes.changed
        ? null
        : h("p", null, t("replan_no_change")),
      h(
        "ol",
        { class: "replan-changes", "aria-label": t("replan_new_order") },
        changes.stops.map((c) =>
          h(
            "li",
            { class: c.moved ? "replan-moved" : null, dataset: { visitId: c.id } },
            h("span", { class: "stop-name" }, nameOf(c.id)),
            " ",
            h("span", { class: "replan-eta" }, t("eta_change", { old: at(c.old_eta_s), new: at(c.new_eta_s) })),
            c.moved ? h("span", { class: "badge badge-pending" }, t("replan_moved")) : null,
          ),
        ),
      ),
      changes.dropped.length || input.skipped.length
        ? h(
            "div",
            { class: "replan-dropped" },
            h("h3", null, t("replan_no_longer_fits")),
            h(
              "ul",
              { "aria-label": t("replan_no_longer_fits") },
              changes.dropped.map((d) =>
                h("li", { dataset: { visitId: d.id } }, h("span", { class: "stop-name" }, nameOf(d.id)), " — ", t(`replan_reason_${d.reason}`)),
              ),
              input.skipped.map((id) => h("li", { dataset: { visitId: id } }, nameOf(id), " — ", t("replan_reason_skipped"))),
            ),
          )
        : null,
      h(
        "div",
        { class: "replan-actions" },
        h("button", { type: "button", class: "btn btn-primary", onclick: accept }, t("replan_accept")),
        h("button", { type: "button", class: "btn", onclick: keep }, t("replan_keep")),
      ),
    );
  };
  offer();
  return box;
}

function stopItem(stop, index, account, { leftOut = null, onSkip = null, navApp = "system" } = {}) {
  const status = stop.logged ? "done" : stop.status;
  const eta = stop.planned_arrival_at
    ? formatTime(stop.planned_arrival_at)
    : stop.window_start
      ? `${stop.window_start.slice(0, 5)}–${(stop.window_end || "").slice(0, 5)}`
      : "";
  const name = stop.account_name || account?.name || "";
  const links = account?.location ? navigateLinks(account.location, name, navApp) : null;
  return h(
    "li",
    { class: `stop stop-${status}`, dataset: { visitId: stop.id } },
    h("span", { class: "seq", "aria-hidden": "true" }, String(stopNumber(stop, index))),
    h(
      "div",
      { class: "stop-main" },
      h("a", { href: `#/account/${stop.account_id}`, class: "stop-name" }, name),
      h(
        "div",
        { class: "stop-meta" },
        eta ? h("span", null, t("eta", { time: eta })) : null,
        h("span", { class: `badge badge-${status}` }, t(`status_${status}`)),
        leftOut && !stop.logged ? h("span", { class: "badge badge-missing" }, t("replan_left_out")) : null,
      ),
    ),
    h(
      "div",
      { class: "stop-actions" },
      links
        ? h("a", { href: links.href, class: "btn navigate", ...outside(links.href), "aria-label": t("navigate_to", { name }) }, t("navigate"))
        : null,
      links
        ? h(
            "a",
            { href: links.web, class: "btn btn-quiet", rel: "noopener", target: "_blank",
              "aria-label": t("map_link_to", { name }) },
            t("map_link"),
          )
        : null,
      onSkip && !stop.logged && stop.status === "planned" && !leftOut
        ? h("button", { type: "button", class: "btn btn-quiet", onclick: onSkip, "aria-label": t("skip_stop", { name }) }, t("skip"))
        : null,
      stop.logged
        ? null
        : h(
            "a",
            {
              href: `#/visit/${stop.account_id}?stop=${stop.id}`,
              class: "btn btn-primary",
              "aria-label": t("log_visit_at", { name }),
            },
            t("log_visit"),
          ),
    ),
  );
}

// Labels closer than this on screen would overlap (a label is about a dot wide).
const LABEL_MIN_PX = 22;
// The land colour of protomaps-leaflet's "light" style, drawn as the tiles' background.
const LAND_COLOR = "#e2dfda";

async function drawMap(box, stops, byId, config) {
  // Only stops whose account (and its location) is on this phone can be drawn; each keeps
  // its own number, so the map and the list agree.
  const drawn = stops
    .map((s, index) => ({ number: stopNumber(s, index), location: byId.get(s.account_id)?.location }))
    .filter((p) => p.location);
  if (drawn.length && !globalThis.L && config.leafletUrl) {
    try {
      await loadScript(config.leafletUrl);
    } catch {
      // No map rather than no Today: the list is what the rep works from.
    }
  }
  if (drawn.length && globalThis.L && config.tileVector && !globalThis.protomapsL) {
    try {
      await loadScript(config.vectorTilesUrl);
    } catch {
      // The route draws without its streets.
    }
  }
  const L = globalThis.L;
  if (!L || !drawn.length || !box.isConnected) {
    box.hidden = true;
    return;
  }
  const map = L.map(box, { zoomControl: false, attributionControl: Boolean(config.tileUrl) });
  if (config.tileVector && globalThis.protomapsL) {
    // The app's own vector tiles: the service worker keeps those of the rep's area, so they
    // draw offline too (a tile it lacks is an empty one).
    const streets = globalThis.protomapsL.leafletLayer({
      url: config.tileUrl, attribution: config.tileAttribution, flavor: "light",
      maxDataZoom: config.tileMaxDataZoom, maxZoom: 19,
    }); // prettier-ignore
    streets.backgroundColor = LAND_COLOR; // our tiles have no land polygons (maps/tiles.py)
    streets.addTo(map);
  } else if (config.tileUrl && globalThis.navigator?.onLine !== false) {
    // Raster tiles from a tile server need the network; without them the route still draws.
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  const latlngs = drawn.map((p) => [p.location.lat, p.location.lng]);
  L.polyline(latlngs, { color: "#0b6e4f", weight: 3 }).addTo(map);
  const markers = latlngs.map((ll) =>
    L.circleMarker(ll, { radius: 8, color: "#0b6e4f", fillOpacity: 0.9 }).addTo(map),
  );
  // Labels depend on the zoom (close on screen is a matter of pixels): redone on each zoom.
  const label = () => {
    markers.forEach((m) => m.unbindTooltip());
    const points = latlngs.map((ll, i) => {
      const { x, y } = map.latLngToLayerPoint(ll);
      return { number: drawn[i].number, x, y };
    });
    for (const { at, text, merged } of mapLabels(points, LABEL_MIN_PX)) {
      markers[at].bindTooltip(text, {
        permanent: true, direction: "center", className: merged ? "seq-tip seq-tip-merged" : "seq-tip",
      }); // prettier-ignore
    }
  };
  map.fitBounds(L.latLngBounds(latlngs).pad(0.2), { maxZoom: 16 });
  label();
  map.on("zoomend", label);
}
