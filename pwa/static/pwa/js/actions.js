// What the rep does, as outbox mutations plus the optimistic record the screens show at once.
// Screens call these; these never fetch: the sync loop delivers.

import { getRecord, outboxItems, putRecord, settleOutbox } from "./db.js";
import { todayIso } from "./ui.js";
import { distanceM, isFar } from "./geo.js";
import { enqueue, newId } from "./outbox.js";

let afterChange = () => {};

/**
 * Called after every queued change (main.js: nudge the sync loop, register Background Sync).
 * @param {() => void} fn
 */
export function onChange(fn) {
  afterChange = fn;
}

/**
 * Log a visit. From a planned stop (a visit the published plan made, pulled by sync) it is ONE
 * edit of that visit: status done with the check-in, outcome, notes and next step, so the stop
 * itself is completed on the server (issue 14). Otherwise ONE create. Either way the server
 * writes visit + activity + next-step task atomically, and a retried push is answered, not redone.
 * A check-in (``checkIn``, from geo.checkInOf) is when the rep checked in and the fresh fix, or
 * a position recorded as missing (location null) when the rep went on without one.
 * @param {{account: object, me: object, checkIn: object|null, outcome: string, notes: string,
 *   nextStep: {title: string, due_at: string|null}|null, stop?: object|null, id?: string|null}} input
 * @returns {Promise<object>} the local visit record
 */
export async function logVisit({ account, me, checkIn, outcome, notes, nextStep, stop = null, id = null }) {
  if (stop && stop.status !== "done") return completeStop({ account, checkIn, outcome, notes, nextStep, stop });
  // The form names the new visit's id when it already keeps photos under it (issue 21).
  id = id || newId();
  const now = new Date().toISOString();
  const fields = { account_id: account.id, status: "done", outcome, notes, completed_at: now };
  if (checkIn) fields.check_in = checkIn;
  // The form's opening was the check-in, its save is the check-out (issue 21).
  if (checkIn?.at) fields.checked_out_at = now;
  if (nextStep?.title) fields.next_step = nextStep;
  let distance = null;
  if (checkIn?.location && account.location) distance = distanceM(checkIn.location, account.location);
  const record = {
    id,
    account_id: account.id,
    account_name: account.name,
    rep_id: me?.id ?? null,
    status: "done",
    scheduled_on: null,
    route_sequence: null,
    planned_arrival_at: null,
    checked_in_at: checkIn?.at ?? null,
    check_in_location: checkIn?.location ?? null,
    check_in_accuracy_m: checkIn?.accuracy_m ?? null,
    check_in_fix_at: checkIn?.fix_at ?? null,
    distance_m: distance,
    is_far: distance == null ? null : isFar(distance, checkIn.accuracy_m),
    completed_at: now,
    checked_out_at: fields.checked_out_at ?? null,
    outcome,
    notes,
    logged_for: stop?.id ?? null,
    created_at: now,
    updated_at: now,
  };
  await enqueue({ entity: "visit", action: "create", id, fields }, record);
  afterChange();
  return record;
}

/**
 * The rep's log of a planned stop, as an edit of its visit: only what the log sets travels,
 * each with the value the phone had (the server merges per field).
 */
async function completeStop({ account, checkIn, outcome, notes, nextStep, stop, checkedOutAt = null }) {
  const now = checkedOutAt || new Date().toISOString();
  const changes = {
    status: { old: stop.status, new: "done" },
    completed_at: { old: stop.completed_at ?? null, new: now },
  };
  // Check-out (issue 21): when the rep left; the stop's own check-in (this form's, or the
  // earlier "Check in" tap on the card) starts the time on site.
  if (checkIn || stop.checked_in_at) changes.checked_out_at = { old: stop.checked_out_at ?? null, new: now };
  if (outcome) changes.outcome = { old: stop.outcome ?? "", new: outcome };
  if (notes) changes.notes = { old: stop.notes ?? "", new: notes };
  if (checkIn) changes.check_in = { old: null, new: checkIn };
  if (nextStep?.title) changes.next_step = { old: null, new: nextStep };
  let distance = null;
  if (checkIn?.location && account.location) distance = distanceM(checkIn.location, account.location);
  const record = {
    ...stop,
    status: "done",
    completed_at: now,
    checked_out_at: changes.checked_out_at ? now : stop.checked_out_at ?? null,
    outcome: outcome || stop.outcome || "",
    notes: notes || stop.notes || "",
    updated_at: now,
  };
  if (checkIn) {
    Object.assign(record, {
      checked_in_at: checkIn.at ?? now,
      check_in_location: checkIn.location ?? null,
      check_in_accuracy_m: checkIn.accuracy_m ?? null,
      check_in_fix_at: checkIn.fix_at ?? null,
      distance_m: distance,
      is_far: distance == null ? null : isFar(distance, checkIn.accuracy_m),
    });
  }
  // A visit made on this phone and not yet answered has version 0 (or none): no base version
  // (the server's start at 1), so the server merges by each field's old value.
  await enqueue({ entity: "visit", action: "update", id: stop.id, base_version: stop.version || null, changes }, record);
  afterChange();
  return record;
}

/**
 * A prospect found on the street. Its location is the fresh fix taken on the spot, or null:
 * recorded as missing (sent as null), never guessed from an earlier fix or the address.
 * @param {{name: string, phone?: string, address?: string, location: object|null}} input
 */
export async function createProspect({ name, phone = "", address = "", location }) {
  const id = newId();
  const now = new Date().toISOString();
  const fields = { name, status: "prospect", phone, address, location: location || null };
  const record = {
    id, name, status: "prospect", phone, address, location: location || null, email: "",
    website: "", tags: [], version: 0, created_at: now, updated_at: now,
  }; // prettier-ignore
  await enqueue({ entity: "account", action: "create", id, fields }, record);
  afterChange();
  return record;
}

/**
 * Queue an edit that turns one boolean field on (and stamps its time): a task done, a
 * notification read. Shows at once offline; the server learns it on the next sync.
 * @param {string} entity
 * @param {object} record the local record
 * @param {string} flag the boolean field
 * @param {string} stamp the time field set with it
 * @returns {Promise<object>} the local record
 */
async function flagOn(entity, record, flag, stamp) {
  const updated = { ...record, [flag]: true, [stamp]: new Date().toISOString() };
  await enqueue(
    {
      entity,
      action: "update",
      id: record.id,
      base_version: record.version,
      changes: { [flag]: { old: Boolean(record[flag]), new: true } },
    },
    updated,
  );
  return updated;
}

/**
 * One tap: a task is done.
 * @param {object} task
 */
export async function completeTask(task) {
  const record = await flagOn("task", task, "is_done", "done_at");
  afterChange();
  return record;
}

/**
 * Undo a task's Done (issue 21: "undo after completing"). The completion still waiting in the
 * outbox (or refused) is taken back, and the task is as it was: nothing reaches the server.
 * Once sent (or while a sync may be sending it), ONE edit reopens it on the server instead.
 * Either way the task is open once, offline too.
 * @param {object} before the task as it was before Done
 * @param {{syncing?: boolean}} [options] a sync is running now (the item may be on its way)
 * @returns {Promise<{record: object, withdrawn: boolean}>}
 */
export async function reopenTask(before, { syncing = false } = {}) {
  const completion = (await outboxItems()).find(
    (item) => item.entity === "task" && item.id === before.id && item.action === "update" &&
      item.changes?.is_done?.new === true && (item.status === "rejected" || (item.status === "pending" && !syncing)),
  ); // prettier-ignore
  if (completion) {
    const others = (await outboxItems()).some((item) => item.id === before.id && item.seq !== completion.seq);
    const record = { ...before, is_done: false, done_at: before.done_at ?? null };
    if (!others) delete record._pending;
    await settleOutbox({ remove: [completion.seq], update: [], records: [{ store: "tasks", record }] });
    afterChange();
    return { record, withdrawn: true };
  }
  const current = (await getRecord("tasks", before.id)) || before;
  const record = { ...current, is_done: false, done_at: null };
  await enqueue(
    { entity: "task", action: "update", id: current.id, base_version: current.version || null,
      changes: { is_done: { old: true, new: false } } }, record); // prettier-ignore
  afterChange();
  return { record, withdrawn: false };
}

/**
 * Mark a notification read: an edit of ``is_read``.
 * @param {object} notification
 * @returns {Promise<object>} the local record
 */
export async function markNotificationRead(notification) {
  const record = await flagOn("notification", notification, "is_read", "read_at");
  afterChange();
  return record;
}

/**
 * Mark several notifications read (the list's "mark all"), one edit each, one sync nudge.
 * @param {object[]} notifications
 */
export async function markAllNotificationsRead(notifications) {
  for (const notification of notifications) {
    await flagOn("notification", notification, "is_read", "read_at");
  }
  afterChange();
}

/**
 * Edit account fields; only the fields that changed travel, each with the value it replaced,
 * so the server can merge per field.
 * @param {string} accountId
 * @param {Record<string, string>} values
 * @returns {Promise<boolean>} whether anything changed
 */
export async function editAccount(accountId, values) {
  const account = await getRecord("accounts", accountId);
  const changes = {};
  for (const [field, value] of Object.entries(values)) {
    if (!same(account[field] ?? "", value)) changes[field] = { old: account[field] ?? "", new: value };
  }
  if (!Object.keys(changes).length) return false;
  const record = { ...account };
  for (const [field, change] of Object.entries(changes)) record[field] = change.new;
  // A cleared custom field travels as null (the server removes the key); the card shows none.
  if (changes.custom_fields) {
    record.custom_fields = Object.fromEntries(
      Object.entries(changes.custom_fields.new).filter(([, v]) => v !== null),
    );
  }
  await enqueue(
    { entity: "account", action: "update", id: accountId, base_version: account.version, changes },
    record,
  );
  afterChange();
  return true;
}

// Values as the server compares them: texts by value, custom fields (an object) by content.
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Check in at an account (issue 21): the visit opens, and stays open while the rep works on
 * the card, until they check out (logging it) or close it. My planned visit of it today is
 * that visit (ONE edit of its check-in); otherwise ONE create of a visit with its check-in.
 * @param {{account: object, me: object, checkIn: object, stop?: object|null}} input
 * @returns {Promise<object>} the local visit
 */
export async function checkIn({ account, me, checkIn: check, stop = null }) {
  let distance = null;
  if (check.location && account.location) distance = distanceM(check.location, account.location);
  const seen = {
    checked_in_at: check.at, check_in_location: check.location ?? null,
    check_in_accuracy_m: check.accuracy_m ?? null, check_in_fix_at: check.fix_at ?? null,
    distance_m: distance, is_far: distance == null ? null : isFar(distance, check.accuracy_m),
    checked_out_at: null,
  }; // prettier-ignore
  const now = new Date().toISOString();
  if (stop) {
    const record = { ...stop, ...seen, updated_at: now };
    await enqueue({ entity: "visit", action: "update", id: stop.id, base_version: stop.version || null,
      changes: { check_in: { old: null, new: check } } }, record); // prettier-ignore
    afterChange();
    return record;
  }
  const id = newId();
  const record = {
    id, account_id: account.id, account_name: account.name, rep_id: me?.id ?? null, status: "planned",
    scheduled_on: null, route_sequence: null, planned_arrival_at: null, window_start: null, window_end: null,
    completed_at: null, outcome: "", notes: "", version: 0, created_at: now, updated_at: now, ...seen,
  }; // prettier-ignore
  await enqueue({ entity: "visit", action: "create", id, fields: { account_id: account.id, check_in: check } }, record);
  afterChange();
  return record;
}

/**
 * Check out of an open visit: ONE edit that logs it (status done) with the check-out time —
 * now, or the time the rep chose when closing a visit left open — and what the rep noted.
 * @param {{account: object, visit: object, at?: string|null, outcome?: string, notes?: string,
 *   nextStep?: {title: string, due_at: string|null}|null}} input
 * @returns {Promise<object>} the local visit
 */
export async function checkOut({ account, visit, at = null, outcome = "", notes = "", nextStep = null }) {
  return completeStop({ account, checkIn: null, outcome, notes, nextStep, stop: visit,
    checkedOutAt: at || new Date().toISOString() }); // prettier-ignore
}

/**
 * Log a call, a note or a meeting on the account's timeline: ONE create of an activity (the
 * server's loggable kinds; the server's own history kinds are never sent).
 * @param {{account: object, me: object, kind: "call"|"note"|"meeting"|"email", subject?: string,
 *   body?: string}} input
 * @returns {Promise<object>} the local activity
 */
export async function logActivity({ account, me, kind, subject = "", body = "" }) {
  const id = newId();
  const now = new Date().toISOString();
  const record = {
    id, account_id: account.id, kind, actor_id: me?.id ?? null, actor_name: me?.display_name || me?.username || "",
    occurred_at: now, subject, body, contact_id: null, visit_id: null, deal_id: null, version: 0,
    created_at: now, updated_at: now,
  }; // prettier-ignore
  await enqueue({ entity: "activity", action: "create", id,
    fields: { account_id: account.id, kind, occurred_at: now, subject, body } }, record); // prettier-ignore
  afterChange();
  return record;
}

/**
 * A task on the account, mine: ONE create (the same Task the server's other screens make).
 * @param {{account: object, me: object, title: string, kind?: string, due_at?: string|null,
 *   notes?: string}} input
 * @returns {Promise<object>} the local task
 */
export async function createTask({ account, me, title, kind = "call", due_at = null, notes = "" }) {
  const id = newId();
  const now = new Date().toISOString();
  const record = {
    id, title, kind, notes, account_id: account.id, contact_id: null, deal_id: null,
    assignee_id: me?.id ?? null, created_by_id: me?.id ?? null, due_at, done_at: null, is_done: false,
    version: 0, created_at: now, updated_at: now,
  }; // prettier-ignore
  await enqueue({ entity: "task", action: "create", id,
    fields: { title, kind, notes, account_id: account.id, due_at } }, record); // prettier-ignore
  afterChange();
  return record;
}

/**
 * Accept a re-plan of the rest of today (issue 19): ONE edit of the route sheet — the new
 * order with each stop's new arrival, and the stops that no longer fit — which the server
 * checks (the rep's own route, today's, stops not yet done) and applies to the plan. The
 * visits take their new order and times on the phone at once (the pull after the push brings
 * the server's copies, the same values).
 * @param {object} sheet the local route sheet
 * @param {{visit_id: string, arrival_at: string}[]} order
 * @param {{visit_id: string, reason: string}[]} dropped
 * @param {object[]} visits the local visits of today's stops (those done keep the first numbers)
 * @returns {Promise<object>} the local sheet
 */
export async function replanDay(sheet, order, dropped, visits) {
  const record = { ...sheet, order, dropped, edited_by_rep_at: new Date().toISOString() };
  await enqueue(
    {
      entity: "route",
      action: "update",
      id: sheet.id,
      base_version: sheet.version,
      changes: { order: { old: sheet.order, new: order }, dropped: { old: sheet.dropped, new: dropped } },
    },
    record,
  );
  const byId = new Map(visits.map((v) => [v.id, v]));
  const arrival = new Map(order.map((o) => [o.visit_id, o.arrival_at]));
  const moving = new Set([...order.map((o) => o.visit_id), ...dropped.map((d) => d.visit_id)]);
  let n = visits.filter((v) => !moving.has(v.id)).length;
  for (const id of [...order.map((o) => o.visit_id), ...dropped.map((d) => d.visit_id)]) {
    n += 1;
    const visit = byId.get(id);
    if (visit) await putRecord("visits", { ...visit, route_sequence: n, planned_arrival_at: arrival.get(id) ?? null });
  }
  afterChange();
  return record;
}

/**
 * "Add to today" from an account card (issue 19): ONE create of a planned visit for today.
 * It joins the published route when the rep accepts a re-plan (the server adds it as a stop).
 * @param {object} account
 * @param {object} me
 * @returns {Promise<object>} the local visit
 */
export async function addToToday(account, me) {
  const id = newId();
  const today = todayIso();
  const now = new Date().toISOString();
  const record = {
    id, account_id: account.id, account_name: account.name, rep_id: me.id, status: "planned",
    scheduled_on: today, route_sequence: null, planned_arrival_at: null, window_start: null,
    window_end: null, notes: "", outcome: "", version: 0, created_at: now, updated_at: now,
  }; // prettier-ignore
  await enqueue({ entity: "visit", action: "create", id, fields: { account_id: account.id, scheduled_on: today } }, record);
  afterChange();
  return record;
}

/**
 * Take an order or make a quote (issue 18): ONE create with its lines, queued in the outbox;
 * the server prices the lines from the same list, recomputes the totals and gives the number
 * (the push's answer and the next pull bring them). The local record shows the phone's own
 * totals, computed with the server's rounding (order-math.js), until then.
 * @param {{account: object, me: object, kind: "order"|"quote", priceList: object,
 *   lines: {product: object, quantity: string, unitPrice: string, amounts: object}[],
 *   totals: {net: string, tax: string, total: string}, notes?: string}} input
 * @returns {Promise<object>} the local order record
 */
export async function takeOrder({ account, me, kind, priceList, lines, totals, notes = "" }) {
  const id = newId();
  const now = new Date().toISOString();
  const fields = {
    kind,
    account_id: account.id,
    price_list_id: priceList.id,
    notes,
    lines: lines.map((line) => ({ product_id: line.product.id, quantity: line.quantity })),
  };
  const record = {
    id,
    kind,
    number: "",
    status: "draft",
    account_id: account.id,
    deal_id: null,
    price_list_id: priceList.id,
    currency: priceList.currency,
    issued_on: todayIso(),
    notes,
    net_total: totals.net,
    tax_total: totals.tax,
    total: totals.total,
    lines: lines.map((line, i) => ({
      id: `${id}-${i + 1}`,
      position: i + 1,
      product_id: line.product.id,
      description: line.product.name,
      unit: line.product.unit,
      quantity: line.quantity,
      unit_price: line.unitPrice,
      total_amount: line.amounts.total,
    })),
    created_by_id: me?.id ?? null,
    created_at: now,
    updated_at: now,
  };
  await enqueue({ entity: "order", action: "create", id, fields }, record);
  afterChange();
  return record;
}

/**
 * The rep's own day ordered on the phone (issue 21, offline, no route published today):
 * ONE create of a route sheet under a new id, the planned visits in the re-sequencer's order
 * with their arrivals and those it found no longer fit. The server makes the rep's own plan
 * of the day from it (plans/own_route.py); the visits take their order on the phone at once.
 * @param {string} date YYYY-MM-DD
 * @param {{visit_id: string, arrival_at: string}[]} order
 * @param {{visit_id: string, reason: string}[]} dropped
 * @param {object[]} visits the local planned visits of the day
 * @param {object} me
 * @returns {Promise<object>} the local sheet
 */
export async function startOwnDay(date, order, dropped, visits, me) {
  const id = newId();
  const now = new Date().toISOString();
  const record = {
    id, version: 0, plan_id: null, date, day: {}, order, dropped, edited_by_rep_at: now,
    updated_at: now, rep_id: me?.id ?? null, own: true,
  }; // prettier-ignore
  await enqueue({ entity: "route", action: "create", id, fields: { date, order, dropped } }, record);
  const byId = new Map(visits.map((v) => [v.id, v]));
  const arrival = new Map(order.map((o) => [o.visit_id, o.arrival_at]));
  let n = 0;
  for (const visitId of [...order.map((o) => o.visit_id), ...dropped.map((d) => d.visit_id)]) {
    n += 1;
    const visit = byId.get(visitId);
    if (visit) await putRecord("visits", { ...visit, route_sequence: n, planned_arrival_at: arrival.get(visitId) ?? null });
  }
  afterChange();
  return record;
}

/**
 * A contact at an account (issue 21): ONE create, shown on the card at once, offline too.
 * The values are checked first (contact-rules.js); an empty e-mail travels as none (the
 * server's schema reads an address or nothing).
 * @param {{account: object, values: {name: string, role: string, phone: string, email: string}}} input
 * @returns {Promise<object>} the local contact
 */
export async function createContact({ account, values }) {
  const id = newId();
  const now = new Date().toISOString();
  const { name, role, phone, email } = values;
  const record = {
    id, account_id: account.id, name, role, phone, email, notes: "", is_primary: false,
    version: 0, created_at: now, updated_at: now,
  }; // prettier-ignore
  await enqueue({ entity: "contact", action: "create", id,
    fields: { account_id: account.id, name, role, phone, email: email || null } }, record); // prettier-ignore
  afterChange();
  return record;
}

/**
 * Edit a contact: only the fields that changed travel, each with the value it replaced and the
 * contact's version (the server merges per field, conflicts shown on the card).
 * @param {object} contact the local contact
 * @param {{name: string, role: string, phone: string, email: string}} values checked values
 * @returns {Promise<boolean>} whether anything changed
 */
export async function editContact(contact, values) {
  const changes = {};
  for (const [field, value] of Object.entries(values)) {
    const old = contact[field] ?? "";
    if (old === value) continue;
    changes[field] = { old, new: field === "email" && !value ? null : value };
  }
  if (!Object.keys(changes).length) return false;
  const record = { ...contact, ...values, updated_at: new Date().toISOString() };
  await enqueue(
    { entity: "contact", action: "update", id: contact.id, base_version: contact.version || null, changes },
    record,
  );
  afterChange();
  return true;
}
