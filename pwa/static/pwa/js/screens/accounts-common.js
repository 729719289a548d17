// What the accounts map and the accounts list share: the Map/List switch, the filters (kept
// while the app is open, so going map → card → list keeps them) and the rep's last position.

import { activeFilters, allTags, STATUSES } from "../accounts-view.js";
import { currentFix } from "../geo.js";
import { t } from "../i18n.js";
import { field, h } from "../ui.js";

/** @type {{filters: import("../accounts-view.js").Filters, here: {lat: number, lng: number}|null,
 *   sort: string, query: string, view: object|null, selected: Set<string>, pick: ""|"tap"|"lasso"}}
 * ``selected``: accounts picked for "Add to today" (issue 21), on the map or in the list;
 * ``pick``: the map's mode (a tap selects instead of opening the card, or a drawn lasso). */
export const state = { filters: {}, here: null, sort: "name", query: "", view: null, selected: new Set(), pick: "" };

/**
 * Map | List, one bottom-menu entry for both (the menu has room for five at 360 px).
 * @param {"map"|"list"} active
 */
export function viewSwitch(active) {
  const link = (name, key) =>
    h("a", { href: `#/${name}`, class: "seg", "aria-current": name === active ? "page" : null }, t(key));
  return h("nav", { class: "segmented", "aria-label": t("accounts_view") }, link("map", "accounts_map"), link("list", "accounts_list"));
}

/**
 * The filters, folded away under a summary that says how many are set.
 * @param {object[]} accounts every account on the phone (for the tags offered)
 * @param {() => void} onChange
 */
export function filterForm(accounts, onChange) {
  const f = state.filters;
  const status = h("select", { name: "status" },
    h("option", { value: "" }, t("any_status")),
    STATUSES.map((s) => h("option", { value: s, selected: f.status === s }, t(`account_status_${s}`)))); // prettier-ignore
  const tags = allTags(accounts);
  const tag = h("select", { name: "tag" },
    h("option", { value: "" }, t("any_tag")),
    tags.map((name) => h("option", { value: name, selected: f.tag === name }, name))); // prettier-ignore
  const due = h("input", { type: "checkbox", id: "filter-due", name: "due", checked: Boolean(f.due) });
  const days = h("input", {
    type: "number", name: "not_visited_days", min: "1", max: "3650", inputmode: "numeric",
    value: f.notVisitedDays ? String(f.notVisitedDays) : "",
  }); // prettier-ignore
  const summary = h("summary", null, filterSummary());
  const update = () => {
    const n = Number.parseInt(days.value, 10);
    state.filters = {
      status: status.value, tag: tag.value, due: due.checked,
      notVisitedDays: Number.isFinite(n) && n > 0 ? n : null,
    }; // prettier-ignore
    summary.textContent = filterSummary();
    onChange();
  };
  for (const control of [status, tag, due, days]) control.addEventListener("change", update);
  days.addEventListener("input", update);
  return h(
    "details",
    { class: "filters" },
    summary,
    h("div", { class: "filter-grid" },
      field("filter-status", t("field_status"), status),
      field("filter-tag", t("field_tags"), tag),
      h("div", { class: "field field-check" }, due, h("label", { for: "filter-due" }, t("filter_due"))),
      field("filter-days", t("filter_not_visited_days"), days)), // prettier-ignore
  );
  function filterSummary() {
    const n = activeFilters(state.filters);
    return n ? t("filters_n", { n }) : t("filters");
  }
}
/**
 * The rep's position, only when the browser already has permission (never a prompt on
 * opening a screen); a fix of the last minute will do (never sent or stored).
 * @returns {Promise<{lat: number, lng: number}|null>}
 */
export async function knownPosition() {
  try {
    const permission = await globalThis.navigator?.permissions?.query({ name: "geolocation" });
    if (permission?.state !== "granted") return state.here;
    const fix = await currentFix({ maxAgeMs: 60_000, timeoutMs: 8_000 });
    state.here = fix.location;
  } catch {
    // No fix: the map has no "you are here", the list no distance sort.
  }
  return state.here;
}

/** Ask for the position (the rep tapped "Use my position"). */
export async function askPosition() {
  const fix = await currentFix({ maxAgeMs: 30_000 });
  state.here = fix.location;
  return state.here;
}
