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
    h("span", { class: "seq", "aria-hidden": "true" }, String(stop.route_sequence ?? index + 1)),
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

async function drawMap(box, stops, byId, config) {
  const points = stops.map((s) => byId.get(s.account_id)?.location).filter(Boolean);
  if (points.length && !globalThis.L && config.leafletUrl) {
    try {
      await loadScript(config.leafletUrl);
    } catch {
      // No map rather than no Today: the list is what the rep works from.
    }
  }
  const L = globalThis.L;
  if (!L || !points.length || !box.isConnected) {
    box.hidden = true;
    return;
  }
  const map = L.map(box, { zoomControl: false, attributionControl: Boolean(config.tileUrl) });
  // Tiles need the network and a configured server; without them the route still draws.
  if (config.tileUrl && globalThis.navigator?.onLine !== false) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  const latlngs = points.map((p) => [p.lat, p.lng]);
  L.polyline(latlngs, { color: "#0b6e4f", weight: 3 }).addTo(map);
  latlngs.forEach((ll, i) => {
    L.circleMarker(ll, { radius: 8, color: "#0b6e4f", fillOpacity: 0.9 })
      .bindTooltip(String(i + 1), { permanent: true, direction: "center", className: "seq-tip" })
      .addTo(map);
  });
  map.fitBounds(L.latLngBounds(latlngs).pad(0.2), { maxZoom: 16 });
}
