// Issue 21 on the phone: contacts added and edited offline, the rep's navigation app, undo
// after a task's Done.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { completeTask, createContact, editContact, reopenTask } from "../static/pwa/js/actions.js";
import { checkContact } from "../static/pwa/js/contact-rules.js";
import { getRecord, putRecord } from "../static/pwa/js/db.js";
import { navigateLinks, outside } from "../static/pwa/js/geo.js";
import { nextBatch, settle } from "../static/pwa/js/outbox.js";
import { freshPhone } from "./helpers.js";

beforeEach(freshPhone);

const account = { id: "acc-1", name: "Bakery" };

test("a contact is checked as the server checks it: name required, lengths, e-mail form", () => {
  assert.deepEqual(checkContact({ name: "  Anna ", role: "", phone: " +376 800 ", email: "" }), {
    values: { name: "Anna", role: "", phone: "+376 800", email: "" }, errors: {},
  }); // prettier-ignore
  const bad = checkContact({ name: " ", role: "r".repeat(121), phone: "1".repeat(41), email: "anna@" });
  assert.deepEqual(Object.fromEntries(Object.entries(bad.errors).map(([k, v]) => [k, v.key])), {
    name: "contact_name_required", role: "too_long", phone: "too_long", email: "email_invalid",
  }); // prettier-ignore
  assert.equal(bad.errors.role.params.max, 120);
  // Code points, as Python counts them: 200 Persian letters fit, 201 do not.
  assert.deepEqual(checkContact({ name: "ب".repeat(200) }).errors, {});
  assert.equal(checkContact({ name: "ب".repeat(201) }).errors.name.key, "too_long");
  for (const email of ["a@b.co", "anna.k+shop@example.com", "x@sub.dömain.vn"]) {
    assert.deepEqual(checkContact({ name: "A", email }).errors, {}, email);
  }
  for (const email of ["anna", "a b@c.com", "a@b", "a@@b.com", "a@-b.com", "<a>@b.com"]) {
    assert.equal(checkContact({ name: "A", email }).errors.email?.key, "email_invalid", email);
  }
});

test("a new contact is one create, shown at once; an empty e-mail travels as none", async () => {
  const values = { name: "Anna", role: "Buyer", phone: "+376 800 101", email: "" };
  const record = await createContact({ account, values });
  const [mutation] = await nextBatch();
  assert.equal(mutation.entity, "contact");
  assert.equal(mutation.action, "create");
  assert.equal(mutation.id, record.id);
  assert.deepEqual(mutation.fields, { account_id: "acc-1", name: "Anna", role: "Buyer", phone: "+376 800 101", email: null });
  const local = await getRecord("contacts", record.id);
  assert.equal(local.account_id, "acc-1");
  assert.equal(local.email, "");
  assert.equal(local._pending, true);
});

test("an edit sends only what changed, with the old values and the contact's version", async () => {
  const contact = { id: "c-1", account_id: "acc-1", name: "Anna", role: "", phone: "1", email: "a@b.co", version: 4 };
  await putRecord("contacts", contact);
  assert.equal(await editContact(contact, { name: "Anna", role: "", phone: "1", email: "a@b.co" }), false);
  assert.equal((await nextBatch()).length, 0);
  assert.equal(await editContact(contact, { name: "Anna K", role: "", phone: "2", email: "" }), true);
  const [mutation] = await nextBatch();
  assert.equal(mutation.action, "update");
  assert.equal(mutation.base_version, 4);
  assert.deepEqual(mutation.changes, {
    name: { old: "Anna", new: "Anna K" }, phone: { old: "1", new: "2" }, email: { old: "a@b.co", new: null },
  }); // prettier-ignore
  const local = await getRecord("contacts", "c-1");
  assert.equal(local.name, "Anna K");
  assert.equal(local.email, "");
});

test("Navigate opens the rep's app: the system geo: link by default, Google, Organic Maps, OsmAnd", () => {
  const p = { lat: 42.05, lng: 1.05 };
  assert.equal(navigateLinks(p, "Bakery").href, "geo:42.05,1.05?q=42.05,1.05(Bakery)");
  assert.equal(navigateLinks(p, "Bakery", "unknown").href, navigateLinks(p, "Bakery").geo);
  assert.equal(navigateLinks(p, "B", "google").href, "https://www.google.com/maps/dir/?api=1&destination=42.05%2C1.05");
  assert.equal(navigateLinks(p, "Café & Co", "organic").href, "om://map?v=1&ll=42.05,1.05&n=Caf%C3%A9%20%26%20Co");
  assert.equal(navigateLinks(p, "B", "osmand").href, "https://osmand.net/map/?pin=42.05,1.05#16/42.05/1.05");
  assert.deepEqual(outside("https://www.google.com/maps"), { target: "_blank", rel: "noopener" });
  assert.deepEqual(outside("geo:1,2"), {});
});

const task = { id: "t-1", title: "Call back", is_done: false, done_at: null, version: 2, assignee_id: 1 };

test("undo before the completion was sent takes it back: nothing reaches the server", async () => {
  await putRecord("tasks", task);
  await completeTask(task);
  assert.equal((await getRecord("tasks", "t-1")).is_done, true);
  const { withdrawn } = await reopenTask(task);
  assert.equal(withdrawn, true);
  assert.equal((await nextBatch()).length, 0);
  const local = await getRecord("tasks", "t-1");
  assert.equal(local.is_done, false);
  assert.equal(local._pending, undefined);
});

test("undo after the completion was sent (or while a sync may be sending it) is one reopening edit", async () => {
  await putRecord("tasks", task);
  await completeTask(task);
  const [sent] = await nextBatch();
  await settle([{ op_id: sent.op_id, status: "applied", record: { ...task, is_done: true, done_at: "2026-12-03T10:00:00Z", version: 3 } }]);
  assert.equal((await nextBatch()).length, 0);
  const { withdrawn } = await reopenTask(task);
  assert.equal(withdrawn, false);
  const batch = await nextBatch();
  assert.equal(batch.length, 1);
  assert.deepEqual(batch[0].changes, { is_done: { old: true, new: false } });
  assert.equal(batch[0].base_version, 3);
  assert.equal((await getRecord("tasks", "t-1")).is_done, false);

  // A sync running: the queued completion may be on its way, so it stays and a reopen follows.
  await putRecord("tasks", { ...task, id: "t-2" });
  await completeTask({ ...task, id: "t-2" });
  await reopenTask({ ...task, id: "t-2" }, { syncing: true });
  const t2 = (await nextBatch()).filter((m) => m.id === "t-2");
  assert.deepEqual(t2.map((m) => m.changes.is_done.new), [true, false]);
});
