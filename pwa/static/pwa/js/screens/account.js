// Account card: check in and out (time on site running), contacts (tap to call or mail),
// conflicts on this record, log a call or note, the status, custom fields with a widget per
// kind, open tasks (and a new one), deals, the timeline, and a small edit form. Everything is
// an outbox mutation (only changed fields travel, for per-field merge), so all of it works
// offline and reaches the server once.

import { nextStatuses, readCustomValue } from "../account-rules.js";
import { addToToday, checkIn, createContact, createTask, editAccount, editContact, logActivity } from "../actions.js";
import { checkContact } from "../contact-rules.js";
import { allPhotos, allRecords, getMeta, getRecord, recordsOfAccount } from "../db.js";
import { checkInOf, navigateLinks, outside } from "../geo.js";
import { formatDateTime, formatDistance, formatNumber, formatTime, t } from "../i18n.js";
import { formatDuration, openVisits, timeOnSiteMs } from "../onsite.js";
import { conflictsFor, dismissConflicts, rejectedItems } from "../outbox.js";
import { field, h, mount, toast, todayIso } from "../ui.js";
import { gpsFix } from "./gps-fix.js";
import { ordersList } from "./order.js";
import { plannedToday } from "./visit-form.js";
import { photoNote } from "./visit-photos.js";

// What a rep logs from the card (the server's loggable kinds, less e-mail and visit: those have
// their own buttons).
const LOG_KINDS = ["call", "note", "meeting"];
const TASK_KINDS = ["call", "visit", "email", "other"];

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
  const [contacts, activities, visits, tasks, accountConflicts, orders, rejected] = await Promise.all([
    recordsOfAccount("contacts", id),
    recordsOfAccount("activities", id),
    recordsOfAccount("visits", id),
    recordsOfAccount("tasks", id),
    conflictsFor(id),
    recordsOfAccount("orders", id),
    rejectedItems(),
  ]);
  // The account's conflicts and its contacts' (an edit of a contact merged per field, too).
  const conflicts = [...accountConflicts, ...(await Promise.all(contacts.map((c) => conflictsFor(c.id)))).flat()];
  const navApp = await getMeta("nav_app", "system");
  const links = account.location ? navigateLinks(account.location, account.name, navApp) : null;
  const [allDefinitions, allVisits, photos] = await Promise.all([getMeta("custom_fields", []), allRecords("visits"), allPhotos()]);
  // Each visit's photos (issue 21), by visit id; drafts belong to a form not saved yet.
  const photosByVisit = new Map();
  for (const photo of photos) {
    if (photo.status === "draft") continue;
    photosByVisit.set(photo.visit_id, [...(photosByVisit.get(photo.visit_id) || []), photo]);
  }
  // A deactivated field keeps its values on the server but is offered nowhere, here neither.
  const definitions = allDefinitions.filter((def) => def.is_active !== false);
  const mine = openVisits(allVisits, ctx.me?.id);
  const here = mine.find((v) => v.account_id === id) || null;
  const elsewhere = mine.find((v) => v.account_id !== id) || null;
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
    onSite(account, here, elsewhere, ctx),
    h(
      "div",
      { class: "row" },
      here ? null : h("a", { href: `#/visit/${id}`, class: "btn btn-primary" }, t("log_visit")),
      account.phone ? h("a", { href: `tel:${account.phone}`, class: "btn", "aria-label": t("call_name", { name: account.name }) }, t("call")) : null,
      account.email ? h("a", { href: `mailto:${account.email}`, class: "btn", "aria-label": t("mail_account", { name: account.name }) }, t("email")) : null,
      links ? h("a", { href: links.href, class: "btn", id: "navigate", ...outside(links.href), "aria-label": t("navigate_to", { name: account.name }) }, t("navigate")) : null,
      // Issue 19: a visit for today, which Today then offers to fit into the route.
      ctx.me && !visits.some((v) => v.scheduled_on === todayIso() && v.status === "planned")
        ? h("button", { type: "button", class: "btn", onclick: async () => {
            await addToToday(account, ctx.me);
            location.hash = "#/today";
          } }, t("add_to_today")) // prettier-ignore
        : null,
    ),
    // Issue 18: an order or a quote from the price list cached on the phone, offline.
    h("div", { class: "row" },
      h("a", { href: `#/order/${id}?kind=order`, class: "btn btn-primary", id: "take-order" }, t("take_order")),
      h("a", { href: `#/order/${id}?kind=quote`, class: "btn", id: "make-quote" }, t("make_quote"))), // prettier-ignore
    section("orders-h", t("orders_and_quotes"), ordersList(orders, rejected)),
    section("contacts-h", t("contacts"), contacts.length
      ? h("ul", { class: "list", id: "contacts" }, contacts.map((c) => contactItem(c, ctx)))
      : h("p", { class: "empty" }, t("no_contacts")),
      contactForm({ account, contact: null, ctx })),
    logForm(account, ctx),
    statusForm(account, ctx),
    definitions.length ? customFieldsForm(account, definitions, ctx) : null,
    section("tasks-h", t("open_tasks"), openTasks(tasks), taskForm(account, ctx)),
    deals,
    section("timeline-h", t("timeline"), timeline(activities, visits, photosByVisit, () => ctx.rerender())),
    editForm(account, ctx),
  );
  loadDeals(deals, id, ctx.api);
}

function section(id, title, ...body) {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), body);
}

/**
 * Check in here, or (checked in) the time on site running and Check out. Checked in at another
 * account: a reminder to close that visit first (issue 21: "reminds at the next check-in").
 */
function onSite(account, here, elsewhere, ctx) {
  if (here) {
    const clock = h("bdi", { dir: "ltr", class: "clock", id: "time-on-site" }, formatDuration(timeOnSiteMs(here)));
    runClock(clock, here);
    return h(
      "section",
      { class: "onsite", "aria-labelledby": "onsite-h" },
      h("h2", { id: "onsite-h" }, t("on_site")),
      h("p", null, t("checked_in_at", { time: formatTime(here.checked_in_at) }), " · ",
        h("span", { role: "timer", "aria-label": t("time_on_site") }, clock)),
      h("a", { href: `#/visit/${account.id}?stop=${here.id}`, class: "btn btn-primary", id: "check-out" }, t("check_out")),
    ); // prettier-ignore
  }
  if (elsewhere) {
    return h("p", { class: "warning", role: "note", id: "open-elsewhere" },
      t("still_checked_in", { name: elsewhere.account_name || "" }), " ",
      h("a", { href: `#/visit/${elsewhere.account_id}?stop=${elsewhere.id}` }, t("check_out_there"))); // prettier-ignore
  }
  const box = h("div", { class: "checkin" });
  const button = h("button", { type: "button", class: "btn", id: "check-in", onclick: () => {
    button.hidden = true;
    const tapped = new Date().toISOString();
    let sent = false;
    const gps = gpsFix({
      id: "card-checkin-status", missingText: t("checkin_no_position"),
      describe: (fix) => ({ text: t("position_taken", { accuracy: formatDistance(fix.accuracy_m) }), className: "fix-ok" }),
      onChange: async (settled) => {
        if (!settled || sent) return;
        sent = true;
        const stop = await plannedToday(account.id, ctx.me);
        await checkIn({ account, me: ctx.me, checkIn: checkInOf(gps.fix, tapped), stop });
        toast(t("checked_in_toast"));
        ctx.rerender();
      },
    }); // prettier-ignore
    box.append(gps.element);
    gps.start();
  } }, t("check_in")); // prettier-ignore
  box.prepend(button);
  return box;
}

// The clock ticks once a second while it is on the screen (a re-render drops it and its timer).
function runClock(clock, visit) {
  const timer = setInterval(() => {
    if (!clock.isConnected) {
      clearInterval(timer);
      return;
    }
    clock.textContent = formatDuration(timeOnSiteMs(visit));
  }, 1000);
}

/** Log a call, a note or a meeting: one activity on the timeline. */
function logForm(account, ctx) {
  const kinds = h("fieldset", { class: "outcomes" }, h("legend", null, t("log_kind")),
    LOG_KINDS.map((kind, i) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "log-kind", value: kind, checked: i === 0 }), t(`activity_${kind}`)))); // prettier-ignore
  const subject = h("input", { name: "subject", autocomplete: "off", maxlength: 200 });
  const body = h("textarea", { name: "body", rows: 3, maxlength: 20000 });
  const error = h("p", { class: "field-error", id: "log-error", role: "alert", hidden: true });
  return h("details", { class: "edit", id: "log-activity" }, h("summary", null, t("log_call_or_note")),
    h("form", { onsubmit: async (event) => {
      event.preventDefault();
      const kind = event.currentTarget.querySelector("input[name=log-kind]:checked")?.value || "note";
      if (!subject.value.trim() && !body.value.trim()) {
        error.textContent = t("log_needs_text");
        error.hidden = false;
        subject.setAttribute("aria-invalid", "true");
        return;
      }
      await logActivity({ account, me: ctx.me, kind, subject: subject.value.trim(), body: body.value.trim() });
      toast(t("logged"));
      ctx.rerender();
    } },
    kinds,
    field("log-subject", t("subject"), subject),
    field("log-body", t("details"), body),
    error,
    h("button", { type: "submit", class: "btn btn-primary" }, t("save"))),
  ); // prettier-ignore
}

/** The status, and the moves the lifecycle allows from it (the server's rules). */
function statusForm(account, ctx) {
  const allowed = nextStatuses(account.status);
  if (!allowed.length) return null;
  const select = h("select", { name: "status" },
    h("option", { value: "" }, t("status_keep", { status: t(`account_status_${account.status}`) })),
    allowed.map((s) => h("option", { value: s }, t(`account_status_${s}`)))); // prettier-ignore
  return h("form", { class: "row status-form", onsubmit: async (event) => {
    event.preventDefault();
    if (!select.value) return;
    await editAccount(account.id, { status: select.value });
    toast(t("status_changed", { status: t(`account_status_${select.value}`) }));
    ctx.rerender();
  } }, field("account-status", t("change_status"), select),
  h("button", { type: "submit", class: "btn" }, t("save"))); // prettier-ignore
}

/** One widget per custom field kind, checked as the server checks (account-rules.js). */
function customWidget(def, value) {
  const id = `cf-${def.key}`;
  if (def.kind === "boolean") return h("input", { type: "checkbox", id, name: def.key, checked: value === true });
  if (def.kind === "choice") {
    return h("select", { id, name: def.key },
      h("option", { value: "" }, t("cf_none")),
      (def.choices || []).map((c) => h("option", { value: String(c), selected: String(c) === String(value ?? "") }, String(c)))); // prettier-ignore
  }
  const attrs = { id, name: def.key, value: value == null ? "" : String(value), autocomplete: "off", required: def.is_required };
  if (def.kind === "number") Object.assign(attrs, { type: "number", step: "any", inputmode: "decimal", min: def.min_value ?? null, max: def.max_value ?? null, dir: "ltr" });
  else if (def.kind === "date") attrs.type = "date";
  else attrs.type = "text";
  return h("input", attrs);
}

function customFieldsForm(account, definitions, ctx) {
  const current = account.custom_fields || {};
  const rows = definitions.map((def) => {
    const widget = customWidget(def, current[def.key]);
    const error = h("p", { class: "field-error", id: `cf-${def.key}-error`, hidden: true });
    widget.setAttribute("aria-describedby", error.id);
    const hint = def.kind === "number" && (def.min_value != null || def.max_value != null)
      ? h("span", { class: "muted" }, ` (${[def.min_value, def.max_value].map((v) => (v == null ? "…" : formatNumber(v))).join(" – ")})`)
      : null; // prettier-ignore
    const label = h("label", { for: widget.id }, def.label, def.is_required ? " *" : "", hint);
    const box = h("div", { class: def.kind === "boolean" ? "field field-check" : "field" }, label, widget, error);
    return { def, widget, error, box };
  });
  return h("details", { class: "edit", id: "custom-fields" }, h("summary", null, t("custom_fields")),
    h("form", { novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const sent = {};
      let bad = null;
      for (const { def, widget, error } of rows) {
        const read = readCustomValue(def, def.kind === "boolean" ? widget.checked : widget.value);
        error.hidden = !("error" in read);
        widget.toggleAttribute("aria-invalid", "error" in read);
        if ("error" in read) {
          error.textContent = t(read.error, Object.fromEntries(Object.entries(read.params || {}).map(([k, v]) => [k, formatNumber(v)])));
          bad = bad || widget;
          continue;
        }
        // An unticked box never set before stays unset (not "no"), unless the field is required.
        const untouched = def.kind === "boolean" && read.value === false && !(def.key in current) && !def.is_required;
        const value = untouched ? null : read.value;
        if (value !== null) sent[def.key] = value;
        else if (def.key in current) sent[def.key] = null; // cleared: the server removes it
      }
      if (bad) {
        bad.focus();
        return;
      }
      const merged = { ...current, ...sent };
      const changed = await editAccount(account.id, { custom_fields: merged });
      toast(changed ? t("saved") : t("nothing_changed"));
      ctx.rerender();
    } },
    rows.map((r) => r.box),
    h("button", { type: "submit", class: "btn btn-primary" }, t("save_changes"))),
  ); // prettier-ignore
}

/** A task on this account, mine, from the card. */
function taskForm(account, ctx) {
  const title = h("input", { name: "title", autocomplete: "off", maxlength: 200, required: true });
  const kind = h("select", { name: "kind" }, TASK_KINDS.map((k) => h("option", { value: k }, t(`task_kind_${k}`))));
  const due = h("input", { name: "due", type: "date" });
  const error = h("p", { class: "field-error", id: "task-title-error", role: "alert", hidden: true });
  title.setAttribute("aria-describedby", error.id);
  return h("details", { class: "edit", id: "new-task" }, h("summary", null, t("new_task")),
    h("form", { novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      if (!title.value.trim()) {
        error.textContent = t("task_needs_title");
        error.hidden = false;
        title.setAttribute("aria-invalid", "true");
        title.focus();
        return;
      }
      const dueAt = due.value ? new Date(`${due.value}T09:00:00`).toISOString() : null;
      await createTask({ account, me: ctx.me, title: title.value.trim(), kind: kind.value, due_at: dueAt });
      toast(t("task_added"));
      ctx.rerender();
    } },
    field("task-title", t("next_step_title"), title),
    error,
    field("task-kind", t("task_kind"), kind),
    field("task-due", t("due_date"), due),
    h("button", { type: "submit", class: "btn btn-primary" }, t("add_task"))),
  ); // prettier-ignore
}

function contactItem(c, ctx) {
  return h(
    "li",
    { dataset: { contact: c.id } },
    h("strong", null, c.name),
    c.role ? ` · ${c.role}` : "",
    c._pending ? h("span", { class: "badge badge-pending" }, t("not_sent_yet")) : null,
    h(
      "div",
      { class: "row" },
      // Left to right in Persian too (issue 21).
      // The name starts with the visible number (WCAG 2.5.3), then says whom it calls.
      c.phone ? h("a", { href: `tel:${c.phone}`, class: "btn", "aria-label": `${c.phone} · ${t("call_name", { name: c.name })}` },
        h("bdi", { dir: "ltr", class: "phone" }, c.phone)) : null,
      c.email ? h("a", { href: `mailto:${c.email}`, class: "btn", "aria-label": `${c.email} · ${t("mail_name", { name: c.name })}` },
        h("bdi", { dir: "ltr" }, c.email)) : null,
    ),
    contactForm({ account: null, contact: c, ctx }),
  ); // prettier-ignore
}

/**
 * Add a contact (no ``contact``) or edit one: name, role, phone, e-mail, checked as the server
 * checks them, the message next to its field; saved offline as one outbox create or update.
 */
function contactForm({ account, contact, ctx }) {
  const prefix = contact ? `contact-${contact.id}` : "contact-new";
  const summary = contact
    ? h("summary", { "aria-label": t("edit_contact_name", { name: contact.name }) }, t("edit"))
    : h("summary", null, t("add_contact"));
  // Built when opened: a card with many contacts carries no hidden forms, and its fields'
  // labels (Phone, Email) name only the account's own fields until the rep opens one.
  const details = h("details", { class: "edit contact-form", id: `${prefix}-form`, ontoggle: () => {
    if (details.open && !details.querySelector("form")) details.append(contactFields({ account, contact, ctx, prefix }));
  } }, summary); // prettier-ignore
  return details;
}

function contactFields({ account, contact, ctx, prefix }) {
  const specs = [
    ["name", t("field_name"), { autocomplete: "off", required: true }],
    ["role", t("contact_role"), { autocomplete: "off" }],
    ["phone", t("field_phone"), { type: "tel", dir: "ltr", autocomplete: "off", inputmode: "tel" }],
    ["email", t("field_email"), { type: "email", dir: "ltr", autocomplete: "off" }],
  ];
  const rows = specs.map(([name, label, attrs]) => {
    const input = h("input", { name, value: contact?.[name] || "", "aria-describedby": `${prefix}-${name}-error`, ...attrs });
    input.id = `${prefix}-${name}`;
    const error = h("p", { class: "field-error", id: `${prefix}-${name}-error`, hidden: true });
    const box = h("div", { class: "field" }, h("label", { for: input.id }, label, name === "name" ? " *" : ""), input, error);
    return { name, input, error, box };
  });
  return h("form", { novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const { values, errors } = checkContact(Object.fromEntries(rows.map((r) => [r.name, r.input.value])));
      let first = null;
      for (const { name, input, error } of rows) {
        const bad = errors[name];
        error.hidden = !bad;
        error.textContent = bad ? t(bad.key, { max: formatNumber(bad.params?.max ?? 0) }) : "";
        if (bad) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
        if (bad) first ||= input;
      }
      if (first) {
        first.focus();
        return;
      }
      if (contact) {
        const changed = await editContact(contact, values);
        toast(changed ? t("contact_saved") : t("nothing_changed"));
      } else {
        await createContact({ account, values });
        toast(t("contact_added"));
      }
      ctx.rerender();
    } },
    rows.map((r) => r.box),
    h("button", { type: "submit", class: "btn btn-primary" }, contact ? t("save_changes") : t("add_contact"))); // prettier-ignore
}

function openTasks(tasks) {
  const open = tasks.filter((task) => !task.is_done);
  if (!open.length) return h("p", { class: "empty" }, t("no_open_tasks"));
  return h("ul", { class: "list" }, open.map((task) => h("li", null, task.title,
    task.due_at ? h("span", { class: "muted" }, ` · ${formatDateTime(task.due_at)}`) : null)));
}

function timeline(activities, visits, photosByVisit = new Map(), redraw = () => {}) {
  const byId = new Map(visits.map((v) => [v.id, v]));
  // Logged visits become activities on the server; until then the pending visit stands in.
  const items = [
    ...activities.map((a) => ({ at: a.occurred_at || a.created_at, kind: t(`activity_${a.kind}`),
      title: a.subject || "", body: a.body, visit: a.visit_id ? byId.get(a.visit_id) : null, visitId: a.visit_id })),
    ...visits.filter((v) => v._pending && v.status === "done")
      .map((v) => ({ at: v.completed_at, kind: t("activity_visit"), title: t("visit_pending"), body: v.notes, visit: v, visitId: v.id })),
  ].sort((a, b) => String(b.at).localeCompare(String(a.at)));
  if (!items.length) return h("p", { class: "empty" }, t("no_history"));
  return h("ol", { class: "timeline" }, items.slice(0, 50).map((item) =>
    h("li", item.visitId ? { dataset: { visit: item.visitId } } : null, h("time", { datetime: item.at }, formatDateTime(item.at)),
      h("span", { class: "kind" }, item.kind), item.title ? h("strong", null, item.title) : null,
      onSiteNote(item.visit), photoNote(photosByVisit.get(item.visitId), redraw),
      item.body ? h("p", { dir: "auto" }, item.body) : null)));
}

function onSiteNote(visit) {
  const ms = visit ? timeOnSiteMs(visit) : null;
  if (ms == null || !visit.checked_out_at) return null;
  return h("span", { class: "muted on-site" }, ` · ${t("minutes_on_site", { n: formatNumber(Math.round(ms / 60000)) })}`);
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
      for (const recordId of new Set([id, ...conflicts.map((c) => c.id)])) await dismissConflicts(recordId);
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
