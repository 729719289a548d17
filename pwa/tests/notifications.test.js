import assert from "node:assert/strict";
import { test } from "node:test";

import { openDB } from "idb";
import { freshPhone } from "./helpers.js";
import * as db from "../static/pwa/js/db.js";
import { setLanguage } from "../static/pwa/js/i18n.js";
import { notificationText, recordHash, unreadCount } from "../static/pwa/js/screens/notifications.js";

test("a notification's words come from its kind and params, in the phone's language", () => {
  setLanguage("en", null);
  const n = { kind: "task_due", params: { title: "Call Anna", due_at: "2026-03-03T09:00:00Z" } };
  assert.equal(notificationText(n).title, "Task due: Call Anna");
  setLanguage("vi", null);
  assert.equal(notificationText(n).title, "Công việc đến hạn: Call Anna");
  setLanguage("en", null);
  assert.equal(unreadCount([{ is_read: false }, { is_read: true }, { is_read: false }]), 2);
  assert.equal(recordHash({ record_type: "account", record_id: "a1" }), "#/account/a1");
  assert.equal(recordHash({ record_type: "task", record_id: "t1" }), "#/tasks");
});

test("an automation rule's message shows its own words and names the rule", () => {
  setLanguage("fa", null);
  const n = { kind: "automation", params: { title: "New web lead: Bakery", rule: "Leads" } };
  assert.deepEqual(notificationText(n), { title: "New web lead: Bakery", body: "از قاعدهٔ خودکار «Leads»." });
  const off = { kind: "webhook_disabled", params: { url: "https://x.example", reason: "HTTP 500" } };
  assert.equal(notificationText(off).title, "وب‌هوک غیرفعال شد: https://x.example");
  setLanguage("en", null);
});

test("a PBX call and a messenger message read in the phone's language (issue 18)", () => {
  setLanguage("vi", null);
  const call = { kind: "incoming_call", params: { number: "+84 90 123 4567", name: "Tạp hoá Hoa", contact: "Chị Hoa" } };
  assert.deepEqual(notificationText(call), { title: "Cuộc gọi đến từ +84 90 123 4567 (Tạp hoá Hoa)", body: "Chị Hoa" });
  setLanguage("en", null);
  const lead = { kind: "message_received", params: { sender: "Tuấn", name: "Tuấn", channel: "zalo", text: "Hi", lead: true } };
  assert.deepEqual(notificationText(lead), { title: "New lead from zalo: Tuấn", body: "Hi" });
});

test("a phone upgrading from version 1 keeps its data and pulls again with its tombstones", async () => {
  freshPhone();
  const name = `fieldcrm-upgrade-${process.pid}`;
  const old = await openDB(name, 1, {
    upgrade(d) {
      for (const s of ["accounts", "contacts", "activities", "visits", "tasks"]) d.createObjectStore(s, { keyPath: "id" });
      d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      d.createObjectStore("meta");
    },
  });
  await old.put("meta", 41, "cursor");
  await old.put("accounts", { id: "a1", name: "Kept" });
  old.close();
  db.useDatabase(name);
  assert.equal(await db.getMeta("cursor"), 0);
  assert.equal(await db.getMeta("headStart"), 41);
  assert.equal((await db.getRecord("accounts", "a1")).name, "Kept");
  await db.applyPullPage({ cursor: 50, changes: { notifications: [{ id: "n1", is_read: false }] } });
  assert.equal((await db.allRecords("notifications")).length, 1);
});
