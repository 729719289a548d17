// More: language, sync now, push notifications on this phone, the offline map, changes the
// server refused (kept until dismissed), log out.

import { getMeta, setMeta } from "../db.js";
import { LANGUAGES, formatDateTime, language, setLanguage, t } from "../i18n.js";
import { dismiss, rejectedItems } from "../outbox.js";
import { disablePush, enablePush, pushState } from "../push.js";
import { NAV_APPS } from "../geo.js";
import { BUDGET_BYTES } from "../tile-pack.js";
import { field, h, mount, toast } from "../ui.js";

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

/** This phone's push state in words. */
export function pushText(state) {
  return t(`push_${state}`);
}

/** The push switch: asks for permission and subscribes when turned on. */
function pushSection(state, api) {
  const status = h("p", { id: "push-status", role: "status" }, pushText(state));
  const toggle = h("input", {
    type: "checkbox",
    id: "push-toggle",
    checked: state === "on",
    disabled: state === "unsupported" || state === "denied",
    onchange: async () => {
      toggle.disabled = true;
      const done = toggle.checked ? await enablePush(api) : await disablePush(api);
      const now = await pushState();
      toggle.checked = now === "on";
      toggle.disabled = now === "unsupported" || now === "denied";
      status.textContent = done.ok ? pushText(now) : t(`push_failed_${done.reason}`);
    },
  });
  return h("section", { "aria-labelledby": "push-h" },
    h("h2", { id: "push-h" }, t("push_heading")),
    h("div", { class: "field field-check" }, toggle, h("label", { for: "push-toggle" }, t("push_enable"))),
    status); // prettier-ignore
}

/** The navigation app Navigate opens (issue 21), kept in the meta store on this phone. */
function navAppField(chosen) {
  const select = h("select", { "aria-describedby": "nav-app-hint", onchange: async () => {
    await setMeta("nav_app", select.value);
    toast(t("nav_app_saved"));
  } }, NAV_APPS.map((app) => h("option", { value: app, selected: app === chosen }, t(`nav_app_${app}`)))); // prettier-ignore
  const box = field("nav-app", t("nav_app"), select);
  box.append(h("p", { class: "muted", id: "nav-app-hint" }, t("nav_app_hint")));
  return box;
}

/** Install the app, when the browser offers it (main.js holds its event) and not dismissed. */
function installOffer(install, dismissed, rerender) {
  if (!install?.event || dismissed) return null;
  return h("section", { class: "card install-offer", id: "install-offer", "aria-labelledby": "install-h" },
    h("h2", { id: "install-h" }, t("install_app")),
    h("p", null, t("install_hint")),
    h("div", { class: "row" },
      h("button", { type: "button", class: "btn btn-primary", id: "install-app", onclick: () => install.prompt() }, t("install_app")),
      h("button", { type: "button", class: "btn btn-quiet", id: "install-not-now", onclick: async () => {
        await setMeta("install_dismissed", true);
        rerender();
      } }, t("install_not_now")))); // prettier-ignore
}

/**
 * @param {HTMLElement} root
 * @param {{sync: object, api: object, rerender: () => void, me: object}} ctx
 */
export async function renderMore(root, ctx) {
  const rejected = await rejectedItems();
  const packStatus = await getMeta("tile_pack", null);
  const push = await pushState();
  const navApp = await getMeta("nav_app", "system");
  const installDismissed = await getMeta("install_dismissed", false);
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
    installOffer(ctx.install, installDismissed, ctx.rerender),
    field("language", t("language"), select),
    navAppField(NAV_APPS.includes(navApp) ? navApp : "system"),
    h("button", { type: "button", class: "btn btn-block", onclick: () => ctx.sync.request("manual") }, t("sync_now")),
    h("a", { href: "#/notification-settings", class: "btn btn-block", id: "open-notification-settings" }, t("notification_settings")),
    pushSection(push, ctx.api),
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
