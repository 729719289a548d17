// Account card: contacts (tap to call or mail), conflicts on this record, open tasks and deals,
// the timeline, and a small edit form (only changed fields travel, for per-field merge).

import { addToToday, editAccount } from "../actions.js";
import { getRecord, recordsOfAccount } from "../db.js";
import { navigateLinks } from "../geo.js";
import { formatDateTime, t } from "../i18n.js";
import { conflictsFor, dismissConflicts } from "../outbox.js";
import { field, h, mount, toast, todayIso } from "../ui.js";

const EDITABLE = ["phone", "email", "address", "website"];

/**
 * @param {HTMLElement} root
 * @param {{params: string[], api: object, rerender: () => void}} ctx
 */
export async function renderAccount(root, ctx) {
  const id = ctx.params[0];
  const account = await getRecord("accounts", id);
  if (!account) {
    mount(root, h("h1", null, t("account")), h("p", { class: "empty" }, t("account_missing")));
    return;
  }
  const [contacts, activities, visits, tasks, conflicts] = await Promise.all([
    recordsOfAccount("contacts", id),
    recordsOfAccount("activities", id),
    recordsOfAccount("visits", id),
    recordsOfAccount("tasks", id),
    conflictsFor(id),
  ]);
  const links = account.location ? navigateLinks(account.location, account.name) : null;
  const deals = h("section", { "aria-labelledby": "deals-h" }, h("h2", { id: "deals-h" }, t("open_deals")));
  mount(
    root,
    h("h1", null, account.name),
    h(
      "p",
      { class: "sub" },
      h("span", { class: "badge" }, t(`account_status_${account.status}`)),
      account._pending ? h("span", { class: "badge badge-pending" }, t("not_sent_yet")) : null,
      account.location ? null : h("span", { class: "badge badge-missing" }, t("location_missing")),
      account.address ? ` ${account.address}` : "",
    ),
    conflicts.length ? conflictBox(id, conflicts, ctx) : null,
    h(
      "div",
      { class: "row" },
      h("a", { href: `#/visit/${id}`, class: "btn btn-primary" }, t("log_visit")),
      account.phone ? h("a", { href: `tel:${account.phone}`, class: "btn", "aria-label": t("call_name", { name: account.name }) }, t("call")) : null,
      links ? h("a", { href: links.geo, class: "btn", "aria-label": t("navigate_to", { name: account.name }) }, t("navigate")) : null,
      // Issue 19: a visit for today, which Today then offers to fit into the route.
      ctx.me && !visits.some((v) => v.scheduled_on === todayIso() && v.status === "planned")
        ? h("button", { type: "button", class: "btn", onclick: async () => {
            await addToToday(account, ctx.me);
            location.hash = "#/today";
          } }, t("add_to_today")) // prettier-ignore
        : null,
    ),
    section("contacts-h", t("contacts"), contacts.length
      ? h("ul", { class: "list" }, contacts.map(contactItem))
      : h("p", { class: "empty" }, t("no_contacts"))),
    section("tasks-h", t("open_tasks"), openTasks(tasks)),
    deals,
    section("timeline-h", t("timeline"), timeline(activities, visits)),
    editForm(account, ctx),
  );
  loadDeals(deals, id, ctx.api);
}

function section(id, title, body) {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), body);
}

function contactItem(c) {
  return h(
    "li",
    null,
    h("strong", null, c.name),
    c.role ? ` · ${c.role}` : "",
    h(
      "div",
      { class: "row" },
      // Left to right in Persian too (issue 21).
      c.phone ? h("a", { href: `tel:${c.phone}`, class: "btn", "aria-label": t("call_name", { name: c.name }) },
        h("bdi", { dir: "ltr", class: "phone" }, c.phone)) : null,
      c.email ? h("a", { href: `mailto:${c.email}`, class: "btn", "aria-label": t("mail_name", { name: c.name }) }, c.email) : null,
    ),
  );
}

function openTasks(tasks) {
  const open = tasks.filter((task) => !task.is_done);
  if (!open.length) return h("p", { class: "empty" }, t("no_open_tasks"));
  return h("ul", { class: "list" }, open.map((task) => h("li", null, task.title,
    task.due_at ? h("span", { class: "muted" }, ` · ${formatDateTime(task.due_at)}`) : null)));
}

function timeline(activities, visits) {
  // Logged visits become activities on the server; until then the pending visit stands in.
  const items = [
    ...activities.map((a) => ({ at: a.occurred_at || a.created_at, title: a.subject || t(`activity_${a.kind}`), body: a.body })),
    ...visits.filter((v) => v._pending).map((v) => ({ at: v.completed_at, title: t("visit_pending"), body: v.notes })),
  ].sort((a, b) => String(b.at).localeCompare(String(a.at)));
  if (!items.length) return h("p", { class: "empty" }, t("no_history"));
  return h("ol", { class: "timeline" }, items.slice(0, 50).map((item) =>
    h("li", null, h("time", { datetime: item.at }, formatDateTime(item.at)), h("strong", null, item.title),
      item.body ? h("p", null, item.body) : null)));
}

function conflictBox(id, conflicts, ctx) {
  const rows = conflicts.flatMap((c) => c.conflicts).map((c) =>
    h("li", null, t("conflict_line", { field: t(`field_${c.field}`), server: fmt(c.server), yours: fmt(c.yours) })));
  return h(
    "div",
    { class: "conflict", role: "alert", "aria-labelledby": "conflict-h" },
    h("h2", { id: "conflict-h" }, t("conflict_title")),
    h("ul", null, rows),
    h("button", { type: "button", class: "btn", onclick: async () => {
      await dismissConflicts(id);
      ctx.rerender();
    } }, t("dismiss")),
  );
}

const fmt = (value) => (value == null || value === "" ? t("empty_value") : String(value));

async function loadDeals(box, accountId, api) {
  const note = h("p", { class: "empty" }, t("loading"));
  box.append(note);
  if (globalThis.navigator?.onLine === false) {
    note.textContent = t("deals_online_only");
    return;
  }
  // Deals are not synced to the phone: shown when the network answers (or the worker's copy).
  const answer = await api.request(`deals?account=${accountId}&status=open`);
  const deals = Array.isArray(answer.data) ? answer.data : answer.data?.items;
  if (answer.kind !== "ok" || !deals) {
    note.textContent = t("deals_online_only");
    return;
  }
  if (!deals.length) {
    note.textContent = t("no_open_deals");
    return;
  }
  note.replaceWith(h("ul", { class: "list" }, deals.map((d) =>
    h("li", null, h("strong", null, d.name), ` · ${d.stage_name} · ${d.amount} ${d.currency}`))));
}

function editForm(account, ctx) {
  const inputs = Object.fromEntries(
    EDITABLE.map((name) => [name, h("input", {
      name, value: account[name] || "",
      type: name === "email" ? "email" : name === "phone" ? "tel" : "text",
      autocomplete: "off",
    })]),
  );
  return h(
    "details",
    { class: "edit" },
    h("summary", null, t("edit_account")),
    h(
      "form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          const values = Object.fromEntries(EDITABLE.map((n) => [n, inputs[n].value.trim()]));
          const changed = await editAccount(account.id, values);
          toast(changed ? t("saved") : t("nothing_changed"));
          ctx.rerender();
        },
      },
      EDITABLE.map((name) => field(`edit-${name}`, t(`field_${name}`), inputs[name])),
      h("button", { type: "submit", class: "btn btn-primary" }, t("save_changes")),
    ),
  );
}
