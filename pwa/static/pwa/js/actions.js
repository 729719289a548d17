// What the rep does, as outbox mutations plus the optimistic record the screens show at once.
// Screens call these; these never fetch: the sync loop delivers.

import { getRecord } from "./db.js";
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
 * Log a visit as ONE create (visit + activity + next-step task on the server, atomically).
 * @param {{account: object, me: object, checkIn: object|null, outcome: string, notes: string,
 *   nextStep: {title: string, due_at: string|null}|null, stop?: object|null}} input
 * @returns {Promise<object>} the local visit record
 */
export async function logVisit({ account, me, checkIn, outcome, notes, nextStep, stop = null }) {
  const id = newId();
  const now = new Date().toISOString();
  const fields = { account_id: account.id, status: "done", outcome, notes, completed_at: now };
  if (checkIn) fields.check_in = checkIn;
  if (nextStep?.title) fields.next_step = nextStep;
  let distance = null;
  if (checkIn && account.location) distance = distanceM(checkIn.location, account.location);
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
    distance_m: distance,
    is_far: distance == null ? null : isFar(distance, checkIn.accuracy_m),
    completed_at: now,
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
 * A prospect found on the street.
 * @param {{name: string, phone?: string, address?: string, location: object|null}} input
 */
export async function createProspect({ name, phone = "", address = "", location }) {
  const id = newId();
  const now = new Date().toISOString();
  const fields = { name, status: "prospect", phone, address };
  if (location) fields.location = location;
  const record = {
    id, name, status: "prospect", phone, address, location: location || null, email: "",
    website: "", tags: [], version: 0, created_at: now, updated_at: now,
  }; // prettier-ignore
  await enqueue({ entity: "account", action: "create", id, fields }, record);
  afterChange();
  return record;
}

/**
 * One tap: a task is done.
 * @param {object} task
 */
export async function completeTask(task) {
  const record = { ...task, is_done: true, done_at: new Date().toISOString() };
  await enqueue(
    {
      entity: "task",
      action: "update",
      id: task.id,
      base_version: task.version,
      changes: { is_done: { old: Boolean(task.is_done), new: true } },
    },
    record,
  );
  afterChange();
  return record;
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
    if ((account[field] ?? "") !== value) changes[field] = { old: account[field] ?? "", new: value };
  }
  if (!Object.keys(changes).length) return false;
  const record = { ...account };
  for (const [field, change] of Object.entries(changes)) record[field] = change.new;
  await enqueue(
    { entity: "account", action: "update", id: accountId, base_version: account.version, changes },
    record,
  );
  afterChange();
  return true;
}
