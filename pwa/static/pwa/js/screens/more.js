// More: language, sync now, the offline map, changes the server refused (kept until
// dismissed), log out.

import { getMeta, setMeta } from "../db.js";
import { LANGUAGES, formatDateTime, language, setLanguage, t } from "../i18n.js";
import { dismiss, rejectedItems } from "../outbox.js";
import { BUDGET_BYTES } from "../tile-pack.js";
import { field, h, mount } from "../ui.js";

const MB = 1024 * 1024;

/** The offline map's state in words: being filled, kept (complete or not), or nothing yet. */
export function tilePackText(pack, status) {
  const budget = Math.round(BUDGET_BYTES / MB);
  if (pack?.running) return t("offline_map_filling", { done: pack.done, total: pack.total || "…" });
  if (!status) return t("offline_map_none");
  const kept = t("offline_map_kept", {
    tiles: status.tiles, mb: (status.bytes / MB).toFixed(1), budget, time: formatDateTime(status.at),
  }); // prettier-ignore
  return status.complete ? kept : `${kept} ${t("offline_map_incomplete")}`;
}

/**
 * @param {HTMLElement} root
 * @param {{sync: object, api: object, rerender: () => void, me: object}} ctx
 */
export async function renderMore(root, ctx) {
  const rejected = await rejectedItems();
  const packStatus = await getMeta("tile_pack", null);
  const select = h(
    "select",
    {
      onchange: async () => {
        setLanguage(select.value);
        await setMeta("lang", select.value);
        ctx.rerender();
      },
    },
    LANGUAGES.map((l) => h("option", { value: l.code, selected: l.code === language() }, l.name)),
  );
  mount(
    root,
    h("h1", null, t("more")),
    ctx.me ? h("p", null, t("signed_in_as", { name: ctx.me.username })) : null,
    field("language", t("language"), select),
    h("button", { type: "button", class: "btn btn-block", onclick: () => ctx.sync.request("manual") }, t("sync_now")),
    ctx.config?.tileVector && ctx.tilePack
      ? h("section", { "aria-labelledby": "offline-map-h" },
          h("h2", { id: "offline-map-h" }, t("offline_map")),
          h("p", { id: "offline-map-status" }, tilePackText(ctx.tilePack, packStatus)),
          h("button", { type: "button", class: "btn btn-block", disabled: ctx.tilePack.running,
            onclick: () => ctx.tilePack.refresh() }, t("offline_map_refresh"))) // prettier-ignore
      : null,
    h(
      "section",
      { "aria-labelledby": "rejected-h" },
      h("h2", { id: "rejected-h" }, t("rejected_changes")),
      rejected.length
        ? h("ul", { class: "list" }, rejected.map((item) =>
            h("li", { class: "rejected" },
              h("strong", null, t(`entity_${item.entity}`), " · ", formatDateTime(item.queued_at)),
              h("ul", null, (item.errors || []).map((e) => h("li", null, `${e.field}: ${e.msg}`))),
              h("button", { type: "button", class: "btn", "aria-label": t("dismiss_rejected"),
                onclick: async () => { await dismiss(item.seq); ctx.rerender(); } }, t("dismiss")))))
        : h("p", { class: "empty" }, t("none")),
    ),
    h("button", {
      type: "button",
      class: "btn btn-quiet btn-block",
      onclick: async () => {
        await ctx.api.logout();
        globalThis.location.assign("/login/?next=/app/");
      },
    }, t("log_out")),
  );
}
