// Notification settings (More -> Notification settings): per kind the channel it reaches the rep
// by, quiet hours, how long before a timed task its reminder comes, and the language e-mails
// and pushes are written in. The server keeps them (GET/PATCH /api/v1/notifications/settings), so the
// screen needs a connection; offline it shows the last ones loaded (kept in meta), read-only.

import { getMeta, setMeta } from "../db.js";
import { LANGUAGES, t } from "../i18n.js";
import { h, mount, toast } from "../ui.js";

const PATH = "notifications/settings";
const CACHE_KEY = "notification_settings";
// The API's NotificationChannel enum, in the order the workspace page shows it.
export const CHANNELS = ["in_app", "email", "push", "off"];
export const LEAD_MAX = 7 * 24 * 60; // the API's limit: a week, in minutes

/** A kind's words on the phone (a kind this phone does not know yet shows its id). */
export function kindLabel(kind) {
  const key = `kind_${kind}`;
  const text = t(key);
  return text === key ? kind : text;
}

/** A channel's words on the phone. */
export function channelLabel(channel) {
  const key = `channel_${channel}`;
  const text = t(key);
  return text === key ? channel : text;
}

/**
 * A 422's messages by field name (the last part of each error's loc).
 * @param {*} data the body: {detail: [{loc: [...], msg}]}
 * @returns {Record<string, string>}
 */
export function fieldErrors(data) {
  const out = {};
  for (const e of Array.isArray(data?.detail) ? data.detail : []) {
    const loc = Array.isArray(e.loc) ? e.loc.filter((p) => p !== "body" && p !== "payload") : [];
    const name = loc[0] === "channels" && loc.length > 1 ? `channel_${loc[1]}` : String(loc[0] ?? "form");
    out[name] = out[name] ? `${out[name]} ${e.msg}` : String(e.msg ?? "");
  }
  return out;
}

/**
 * What the form sends: every kind's channel, and quiet hours (both empty: none); with
 * ``extra``, the lead time (the field's text: a whole number of minutes, else sent as typed
 * so the server names the field) and the messages' language.
 * @param {Record<string, string>} channels
 * @param {string} quietStart "HH:MM" or ""
 * @param {string} quietEnd
 * @param {{lead?: string, language?: string}} [extra]
 */
export function settingsPatch(channels, quietStart, quietEnd, extra = {}) {
  const patch = { channels: { ...channels }, quiet_start: quietStart || null, quiet_end: quietEnd || null };
  if (extra.lead !== undefined) {
    const text = String(extra.lead).trim();
    patch.lead_minutes = /^\d+$/.test(text) ? Number(text) : text === "" ? null : text;
  }
  if (extra.language) patch.language = extra.language;
  return patch;
}

async function load(api) {
  if (navigator.onLine === false) return { online: false };
  const answer = await api.request(PATH);
  if (answer.kind === "ok" && answer.data?.channels) {
    await setMeta(CACHE_KEY, answer.data);
    return { online: true, data: answer.data };
  }
  return { online: false };
}

function errorNode(name) {
  return h("p", { class: "field-error", id: `${name}-error`, role: "alert", hidden: true });
}

/**
 * @param {HTMLElement} root
 * @param {{api: object, rerender: () => void}} ctx
 */
export async function renderNotificationSettings(root, ctx) {
  mount(root, h("h1", null, t("notification_settings")), h("p", { class: "muted" }, t("loading")));
  const loaded = await load(ctx.api);
  if (!location.hash.startsWith("#/notification-settings")) return; // the rep went elsewhere
  const data = loaded.data || (await getMeta(CACHE_KEY, null));
  const readOnly = !loaded.online;
  const heading = h("h1", null, t("notification_settings"));
  const offline = readOnly
    ? h("p", { class: "card warning", id: "notification-settings-offline", role: "status" },
        t(data ? "notif_settings_offline_cached" : "notif_settings_offline"),
        " ",
        h("button", { type: "button", class: "btn", onclick: () => ctx.rerender() }, t("try_again"))) // prettier-ignore
    : null;
  if (!data) return mount(root, heading, offline);

  const errors = {};
  const selects = {};
  const kindFields = Object.keys(data.channels).map((kind) => {
    const id = `channel-${kind}`;
    const offered = CHANNELS.includes(data.channels[kind]) ? CHANNELS : [...CHANNELS, data.channels[kind]];
    const select = h("select", { id, name: `channel_${kind}`, disabled: readOnly, "aria-describedby": `channel_${kind}-error` },
      offered.map((c) => h("option", { value: c, selected: c === data.channels[kind] }, channelLabel(c)))); // prettier-ignore
    selects[kind] = select;
    errors[`channel_${kind}`] = errorNode(`channel_${kind}`);
    return h("div", { class: "field" }, h("label", { for: id }, kindLabel(kind)), select, errors[`channel_${kind}`]);
  });
  const time = (name, value) =>
    h("input", { type: "time", id: name.replace("_", "-"), name, value: value || "", disabled: readOnly,
      "aria-describedby": `${name}-error` }); // prettier-ignore
  const quietStart = time("quiet_start", data.quiet_start);
  const quietEnd = time("quiet_end", data.quiet_end);
  const lead = h("input", { type: "number", id: "lead-minutes", name: "lead_minutes", min: 0, max: LEAD_MAX, step: 1,
    inputmode: "numeric", value: String(data.lead_minutes ?? ""), disabled: readOnly, "aria-describedby": "lead_minutes-error" }); // prettier-ignore
  const languages = LANGUAGES.some((l) => l.code === data.language) ? LANGUAGES : [...LANGUAGES, { code: data.language, name: data.language }];
  const language = h("select", { id: "message-language", name: "language", disabled: readOnly, "aria-describedby": "language-error" },
    languages.map((l) => h("option", { value: l.code, lang: l.code, selected: l.code === data.language }, l.name))); // prettier-ignore
  for (const name of ["quiet_start", "quiet_end", "lead_minutes", "language", "form"]) errors[name] = errorNode(name);
  const save = h("button", { type: "submit", class: "btn btn-primary btn-block", id: "save-notification-settings", disabled: readOnly }, t("save_changes"));

  const form = h("form", {
    id: "notification-settings-form",
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      for (const node of Object.values(errors)) node.hidden = true;
      const channels = Object.fromEntries(Object.entries(selects).map(([k, s]) => [k, s.value]));
      save.disabled = true;
      const answer = await ctx.api.request(PATH, {
        method: "PATCH",
        body: settingsPatch(channels, quietStart.value, quietEnd.value, { lead: lead.value, language: language.value }),
      });
      save.disabled = false;
      if (answer.kind === "ok") {
        await setMeta(CACHE_KEY, answer.data);
        toast(t("notif_settings_saved"));
        return;
      }
      const found = answer.status === 422 ? fieldErrors(answer.data) : { form: t("notif_settings_failed") };
      let first = null;
      for (const [name, msg] of Object.entries(found)) {
        const node = errors[name] || errors.form;
        node.textContent = msg;
        node.hidden = false;
        first ||= node.previousElementSibling?.matches("input, select") ? node.previousElementSibling : null;
      }
      (first || save).focus();
    },
  },
    h("fieldset", null, h("legend", null, t("notif_settings_channels")), kindFields),
    h("fieldset", { "aria-describedby": "quiet-hint" },
      h("legend", null, t("notif_settings_quiet")),
      h("p", { class: "muted", id: "quiet-hint" }, t("notif_settings_quiet_hint")),
      h("div", { class: "field" }, h("label", { for: "quiet-start" }, t("quiet_from")), quietStart, errors.quiet_start),
      h("div", { class: "field" }, h("label", { for: "quiet-end" }, t("quiet_until")), quietEnd, errors.quiet_end)),
    h("fieldset", null,
      h("legend", null, t("notif_settings_reminders")),
      h("div", { class: "field" }, h("label", { for: "lead-minutes" }, t("lead_minutes")), lead, errors.lead_minutes),
      h("div", { class: "field" }, h("label", { for: "message-language" }, t("message_language")), language, errors.language)),
    errors.form,
    save); // prettier-ignore
  mount(root, heading, offline, form);
}
