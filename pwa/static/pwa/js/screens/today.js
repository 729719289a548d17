// Today: my published route in stop order, ETA and status, a navigate link per stop, and a
// small map drawn by Leaflet from local files (tiles only when online and configured).

import { allRecords } from "../db.js";
import { navigateLinks } from "../geo.js";
import { formatTime, t } from "../i18n.js";
import { h, loadScript, mount, todayIso } from "../ui.js";

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
  const [visits, accounts] = await Promise.all([allRecords("visits"), allRecords("accounts")]);
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const stops = todayStops(visits, ctx.me?.id, todayIso());
  const mapBox = h("div", { class: "map", role: "img", "aria-label": t("route_map") });
  const list = h(
    "ol",
    { class: "stops", "aria-label": t("todays_stops") },
    stops.map((stop, index) => stopItem(stop, index, byId.get(stop.account_id))),
  );
  mount(
    root,
    h("h1", null, t("today")),
    stops.length ? mapBox : null,
    stops.length ? list : h("p", { class: "empty" }, t("no_stops_today")),
  );
  if (stops.length) drawMap(mapBox, stops, byId, ctx.config);
}

function stopItem(stop, index, account) {
  const status = stop.logged ? "done" : stop.status;
  const eta = stop.planned_arrival_at
    ? formatTime(stop.planned_arrival_at)
    : stop.window_start
      ? `${stop.window_start.slice(0, 5)}–${(stop.window_end || "").slice(0, 5)}`
      : "";
  const name = stop.account_name || account?.name || "";
  const links = account?.location ? navigateLinks(account.location, name) : null;
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
      ),
    ),
    h(
      "div",
      { class: "stop-actions" },
      links
        ? h("a", { href: links.geo, class: "btn", "aria-label": t("navigate_to", { name }) }, t("navigate"))
        : null,
      links
        ? h(
            "a",
            { href: links.web, class: "btn btn-quiet", rel: "noopener", target: "_blank",
              "aria-label": t("map_link_to", { name }) },
            t("map_link"),
          )
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
