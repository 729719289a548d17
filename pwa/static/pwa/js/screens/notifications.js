// Notifications: the bell's list, newest first; opening one marks it read and goes to its record.
// Texts are rendered here from kind + params, so they follow the phone's language offline.

import { markAllNotificationsRead, markNotificationRead } from "../actions.js";
import { allRecords } from "../db.js";
import { formatDateTime, t } from "../i18n.js";
import { h, mount } from "../ui.js";

/**
 * @param {object[]} notifications
 * @returns {number} how many are unread
 */
export function unreadCount(notifications) {
  return notifications.filter((n) => !n.is_read).length;
}

/**
 * The phone's own words for a notification.
 * @param {{kind: string, params: object}} notification
 * @returns {{title: string, body: string}}
 */
export function notificationText({ kind, params = {} }) {
  const due = params.due_at ? formatDateTime(params.due_at) : "";
  const days = Number(params.days || 0);
  switch (kind) {
    case "task_due":
      return { title: t("notif_task_due", { title: params.title }), body: t("notif_due_at", { due }) };
    case "task_overdue":
      return { title: t("notif_task_overdue", { title: params.title }), body: t("notif_was_due", { due }) };
    case "task_overdue_manager":
      return {
        title: t("notif_long_overdue", { title: params.title }),
        body: t("notif_rep_overdue_days", { rep: params.rep, days }),
      };
    case "account_visit_due":
      return { title: t("notif_visit_due", { name: params.name }), body: t("notif_visit_every", { days }) };
    case "visit_booked":
      return {
        title: t("notif_visit_booked", { name: params.name }),
        body: params.time ? t("notif_at_time", { time: params.time }) : "",
      };
    case "daily_digest":
      return digestText(params);
    case "automation":
      // An admin's own words (the rule's message), so not translated; the rule is named.
      return { title: String(params.title || ""), body: t("notif_from_rule", { rule: params.rule || "" }) };
    case "webhook_disabled":
      return { title: t("notif_webhook_disabled", { url: params.url }), body: String(params.reason || "") };
    case "incoming_call":
      return { title: t("notif_incoming_call", { number: params.number, name: params.name }), body: String(params.contact || "") };
    case "message_received":
      return {
        title: t(params.lead ? "notif_message_lead" : "notif_message", { sender: params.sender, name: params.name, channel: params.channel }),
        body: String(params.text || ""),
      };
    default:
      return { title: t("notifications"), body: "" };
  }
}

function digestText(params) {
  if (params.role === "manager") {
    const reps = params.reps || [];
    const sum = (key) => reps.reduce((total, r) => total + Number(r[key] || 0), 0);
    return {
      title: t("notif_digest_manager", { date: params.date }),
      body: t("notif_digest_manager_body", { done: sum("done"), planned: sum("planned"), overdue: params.overdue ?? 0, leads: params.new_leads ?? 0 }),
    };
  }
  return {
    title: t("notif_digest_rep", { date: params.date }),
    body: t("notif_digest_rep_body", { stops: params.stops ?? 0, tasks: params.tasks_due ?? 0, overdue: params.overdue ?? 0, accounts: params.accounts_due ?? 0 }),
  };
}

/**
 * Where a notification's record is shown on the phone.
 * @param {{record_type: string, record_id: string|null}} notification
 * @returns {string}
 */
export function recordHash({ record_type: type, record_id: id }) {
  if (type === "account" && id) return `#/account/${id}`;
  if (type === "task") return "#/tasks";
  if (type === "today") return "#/today";
  return "#/notifications";
}

/**
 * @param {HTMLElement} root
 * @param {{navigate: (hash: string) => void, rerender: () => void}} ctx
 */
export async function renderNotifications(root, ctx) {
  const all = (await allRecords("notifications")).sort(
    (a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id),
  );
  const item = (n) => {
    const { title, body } = notificationText(n);
    return h(
      "li",
      { class: n.is_read ? "notification" : "notification unread", dataset: { id: n.id } },
      h(
        "a",
        {
          href: recordHash(n),
          onclick: async (event) => {
            event.preventDefault();
            if (!n.is_read) await markNotificationRead(n);
            ctx.navigate(recordHash(n));
          },
        },
        h("strong", null, title),
        h("span", { class: "muted" }, [body, formatDateTime(n.created_at)].filter(Boolean).join(" · ")),
      ),
    );
  };
  const unread = all.filter((n) => !n.is_read);
  mount(
    root,
    h("h1", null, t("notifications")),
    unread.length
      ? h("button", {
          type: "button",
          class: "btn",
          id: "mark-all-read",
          onclick: async () => {
            await markAllNotificationsRead(unread);
            ctx.rerender();
          },
        }, t("mark_all_read"))
      : null,
    all.length ? h("ul", { class: "list", id: "notification-list", "aria-label": t("notifications") }, all.map(item)) : h("p", { class: "empty" }, t("no_notifications")),
  ); // prettier-ignore
}
