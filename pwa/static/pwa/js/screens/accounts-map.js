// The accounts map (issue 21): every account on the phone, coloured by status or by how
// overdue its visit is (the rep's choice, remembered), clustered when dense, on the app's own
// vector tiles (kept on the phone by tile-pack.js), the rep's position when the browser
// already has it; a pin opens the account card.
//
// Clustering is supercluster's (vendored): the clusters of the visible box are recomputed
// when the map stops moving, so a pan never redraws 2,000 pins, only the few dozen in view.

import { colourOf, DUE_CLASSES, filterAccounts, insideLasso, legendOf } from "../accounts-view.js";
import { allRecords, getMeta, setMeta } from "../db.js";
import { formatNumber, t } from "../i18n.js";
import { h, loadScript, mount } from "../ui.js";
import { filterForm, knownPosition, state, viewSwitch } from "./accounts-common.js";
import { MAX_SELECTED, selectionBar, toggleSelected } from "./selection.js";

// The land colour of protomaps-leaflet's "light" style (as on Today's map).
const LAND_COLOR = "#e2dfda";
const CLUSTER_RADIUS_PX = 50;
const CLUSTER_MAX_ZOOM = 16;

/**
 * @param {HTMLElement} root
 * @param {{config: object, navigate: (hash: string) => void}} ctx
 */
export async function renderAccountsMap(root, ctx) {
  const [accounts, stored] = await Promise.all([allRecords("accounts"), getMeta("map_colour", "status")]);
  let mode = stored === "due" ? "due" : "status";
  const box = h("div", { class: "map map-accounts", role: "region", "aria-label": t("accounts_map") });
  const count = h("p", { class: "muted count", "aria-live": "polite" });
  const legend = h("ul", { class: "legend", "aria-label": t("legend") });
  const choice = (value, key) =>
    h("label", { class: "choice choice-inline" },
      h("input", { type: "radio", name: "colour", value, checked: mode === value, onchange: () => {
        mode = value;
        setMeta("map_colour", value);
        redraw();
      } }), t(key)); // prettier-ignore
  let drawn = null;
  // Issue 21: Select (a tap picks a pin instead of opening its card) or Lasso (draw around pins).
  const selection = selectionBar(ctx, () => drawn?.repaint());
  const tools = h("div", { class: "row pick-tools", role: "group", "aria-label": t("select_accounts") });
  const drawTools = () =>
    mount(tools, [["tap", t("pick_tap")], ["lasso", t("pick_lasso")]].map(([mode, label]) =>
      h("button", { type: "button", class: "btn", id: `pick-${mode}`, "aria-pressed": String(state.pick === mode), onclick: () => {
        state.pick = state.pick === mode ? "" : mode;
        drawTools();
        drawn?.setPick(state.pick);
      } }, label))); // prettier-ignore
  drawTools();
  const redraw = () => {
    const shown = filterAccounts(accounts, state.filters);
    const placed = shown.filter((a) => a.location).length;
    count.textContent = t("accounts_on_map", { n: formatNumber(placed), total: formatNumber(shown.length) });
    mount(legend, legendOf(mode).map(({ cls, key }) =>
      h("li", null, h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), t(key)))); // prettier-ignore
    drawn?.show(shown, mode);
  };
  mount(
    root,
    h("h1", null, t("accounts")),
    viewSwitch("map"),
    h("fieldset", { class: "colour-by" }, h("legend", null, t("colour_by")),
      choice("status", "colour_status"), choice("due", "colour_due")), // prettier-ignore
    filterForm(accounts, redraw),
    count,
    tools,
    box,
    selection.bar,
    legend,
  );
  redraw();
  drawn = await drawMap(box, ctx, {
    shown: () => filterAccounts(accounts, state.filters),
    onSelect: () => selection.update(),
  });
  drawn?.setPick(state.pick);
  if (drawn) redraw();
}

async function loadMapScripts(config) {
  if (!globalThis.L) await loadScript(config.leafletUrl);
  const optional = [];
  if (config.tileVector && !globalThis.protomapsL) optional.push(loadScript(config.vectorTilesUrl));
  if (!globalThis.Supercluster) optional.push(loadScript(config.superclusterUrl));
  await Promise.all(optional);
}

async function drawMap(box, ctx, { shown, onSelect }) {
  const { config } = ctx;
  try {
    await loadMapScripts(config);
  } catch {
    // Without Leaflet or the clusterer there is no map; the list still works.
  }
  const L = globalThis.L;
  if (!L || !globalThis.Supercluster || !box.isConnected) {
    box.replaceChildren(h("p", { class: "empty" }, t("map_unavailable")));
    return null;
  }
  const map = L.map(box, { zoomControl: true, attributionControl: Boolean(config.tileUrl), maxZoom: 19 });
  if (config.tileVector && globalThis.protomapsL) {
    const streets = globalThis.protomapsL.leafletLayer({
      url: config.tileUrl, attribution: config.tileAttribution, flavor: "light",
      maxDataZoom: config.tileMaxDataZoom, maxZoom: 19,
    }); // prettier-ignore
    streets.backgroundColor = LAND_COLOR;
    streets.addTo(map);
  } else if (config.tileUrl && globalThis.navigator?.onLine !== false) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  const pins = L.layerGroup().addTo(map);
  let index = null;
  let byId = new Map();
  let mode = "status";
  const now = new Date();

  const pinOf = (feature) => {
    const [lng, lat] = feature.geometry.coordinates;
    const p = feature.properties;
    if (p.cluster) {
      const size = p.point_count < 10 ? 30 : p.point_count < 100 ? 36 : 44;
      const marker = L.marker([lat, lng], {
        icon: L.divIcon({
          className: `acct-cluster ${p.worst}`, iconSize: [size, size],
          // A number, not user data; the span centres it in its circle in either direction.
          html: `<span class="n">${Number(p.point_count)}</span>`,
        }),
        keyboard: true,
      }); // prettier-ignore
      marker.on("click", () => {
        const zoom = Math.min(index.getClusterExpansionZoom(p.cluster_id), CLUSTER_MAX_ZOOM + 1);
        map.setView([lat, lng], zoom);
      });
      marker.on("add", () => marker.getElement()?.setAttribute("aria-label", t("cluster_of", { n: p.point_count })));
      return marker;
    }
    const account = byId.get(p.id);
    const marker = L.marker([lat, lng], {
      icon: L.divIcon({ className: `acct-pin ${p.cls}${state.selected.has(p.id) ? " acct-selected" : ""}`, iconSize: [20, 20] }),
      keyboard: true,
    });
    marker.on("add", () => {
      const el = marker.getElement();
      el?.setAttribute("aria-label", account.name);
      if (el) el.dataset.accountId = account.id;
      if (el && state.pick) el.setAttribute("aria-pressed", String(state.selected.has(account.id)));
    });
    marker.on("click", () => {
      if (!state.pick) return ctx.navigate(`#/account/${account.id}`);
      const on = toggleSelected(account.id);
      const el = marker.getElement();
      el?.classList.toggle("acct-selected", on);
      el?.setAttribute("aria-pressed", String(on));
      onSelect();
    });
    return marker;
  };

  let viewed = Boolean(state.view);
  const paint = () => {
    if (!index || !viewed) return;
    const b = map.getBounds();
    const features = index.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], Math.round(map.getZoom()));
    pins.clearLayers();
    for (const feature of features) pins.addLayer(pinOf(feature));
    box.dataset.pins = String(features.length);
  };

  const rank = (cls) => DUE_CLASSES.indexOf(cls.replace("c-due-", ""));
  const show = (accounts, colourMode) => {
    mode = colourMode;
    const placed = accounts.filter((a) => a.location);
    byId = new Map(placed.map((a) => [a.id, a]));
    // A cluster in the "due" colours takes its most overdue account's colour (the one to
    // see from afar); in status colours it stays neutral (statuses do not rank).
    index = new globalThis.Supercluster({
      radius: CLUSTER_RADIUS_PX, maxZoom: CLUSTER_MAX_ZOOM,
      map: (props) => ({ worst: props.cls }),
      reduce: (acc, props) => {
        if (mode !== "due") acc.worst = "c-neutral";
        else if (rank(props.worst) > rank(acc.worst)) acc.worst = props.worst;
      },
    }); // prettier-ignore
    index.load(placed.map((a) => ({
      type: "Feature", geometry: { type: "Point", coordinates: [a.location.lng, a.location.lat] },
      properties: { id: a.id, cls: colourOf(a, mode, now) },
    }))); // prettier-ignore
    if (!state.view && placed.length) {
      const bounds = L.latLngBounds(placed.map((a) => [a.location.lat, a.location.lng]));
      map.fitBounds(bounds.pad(0.1), { maxZoom: 16, animate: false });
      state.view = { center: map.getCenter(), zoom: map.getZoom() };
      viewed = true;
    }
    paint();
  };

  // No world view first: its tiles are not on the phone (offline, each one is a failed fetch);
  // the first show() fits the accounts.
  if (state.view) map.setView(state.view.center, state.view.zoom, { animate: false });
  map.on("moveend", () => {
    state.view = { center: map.getCenter(), zoom: map.getZoom() };
    paint();
  });
  knownPosition().then((here) => {
    if (!here || !box.isConnected) return;
    L.circleMarker([here.lat, here.lng], { radius: 8, className: "you-are-here", interactive: false }).addTo(map);
    box.dataset.here = "1";
  });
  // The lasso (issue 21): a finger (or mouse) draws a ring while the map holds still; the
  // accounts shown inside it are selected.
  let ring = null;
  let line = null;
  const lassoAt = (event) => map.mouseEventToLatLng(event);
  box.addEventListener("pointerdown", (event) => {
    if (state.pick !== "lasso" || !event.isPrimary) return;
    event.preventDefault();
    box.setPointerCapture?.(event.pointerId);
    ring = [lassoAt(event)];
    line = L.polyline(ring, { className: "lasso-line", interactive: false }).addTo(map);
  });
  box.addEventListener("pointermove", (event) => {
    if (!ring) return;
    ring.push(lassoAt(event));
    line.setLatLngs(ring);
  });
  const finish = () => {
    if (!ring) return;
    const taken = insideLasso(shown(), ring.map((p) => ({ lat: p.lat, lng: p.lng })));
    for (const account of taken) {
      if (state.selected.size >= MAX_SELECTED) break;
      state.selected.add(account.id);
    }
    line.remove();
    ring = line = null;
    box.dataset.lassoed = String(taken.length);
    paint();
    onSelect();
  };
  box.addEventListener("pointerup", finish);
  box.addEventListener("pointercancel", finish);
  const setPick = (pick) => {
    box.classList.toggle("lassoing", pick === "lasso");
    if (pick === "lasso") map.dragging.disable();
    else map.dragging.enable();
    box.dataset.pick = pick || "";
    paint();
  };
  return { map, show, setPick, repaint: paint };
}
