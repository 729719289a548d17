// Nearby: accounts by distance from one position read on request, computed from the accounts
// on the phone, so it works in a basement car park.

import { allRecords } from "../db.js";
import { currentFix, distanceM } from "../geo.js";
import { formatDistance, t } from "../i18n.js";
import { h, mount } from "../ui.js";

/**
 * @param {object[]} accounts
 * @param {{lat: number, lng: number}} here
 * @param {number} [limit]
 * @returns {object[]} the nearest accounts with `distance_m`
 */
export function nearest(accounts, here, limit = 50) {
  return accounts
    .filter((a) => a.location)
    .map((a) => ({ ...a, distance_m: distanceM(here, a.location) }))
    .sort((a, b) => a.distance_m - b.distance_m)
    .slice(0, limit);
}

/** @param {HTMLElement} root */
export async function renderNearby(root) {
  const results = h("div", { "aria-live": "polite" });
  const find = async () => {
    mount(results, h("p", { class: "empty" }, t("locating")));
    let fix;
    try {
      // Used here and never sent or stored: a fix of the last half minute will do.
      fix = await currentFix({ maxAgeMs: 30_000 });
    } catch {
      mount(results, h("p", { class: "empty" }, t("no_fix_nearby")));
      return;
    }
    const list = nearest(await allRecords("accounts"), fix.location);
    mount(
      results,
      list.length
        ? h("ol", { class: "list", "aria-label": t("nearby_accounts") }, list.map((a) =>
            h("li", null, h("a", { href: `#/account/${a.id}` }, a.name),
              h("span", { class: "muted" }, ` · ${formatDistance(a.distance_m)} · ${t(`account_status_${a.status}`)}`))))
        : h("p", { class: "empty" }, t("no_accounts")),
    );
  };
  mount(
    root,
    h("h1", null, t("nearby")),
    h("button", { type: "button", class: "btn btn-primary btn-block", onclick: find }, t("find_nearby")),
    results,
  );
}
