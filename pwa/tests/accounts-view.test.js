import assert from "node:assert/strict";
import { test } from "node:test";

import {
  activeFilters, allTags, colourOf, dueClass, filterAccounts, fold, isDue, legendOf, matcher, search,
  searchIndex, sortAccounts,
} from "../static/pwa/js/accounts-view.js"; // prettier-ignore

const NOW = new Date("2026-11-24T10:00:00Z");
const day = (n) => new Date(NOW.getTime() + n * 86_400_000).toISOString();

const ACCOUNTS = [
  { id: "a", name: "Nguyễn Thị Đào", status: "customer", address: "12 Phố Huế", phone: "+84 24 3825 1234",
    tags: ["vip"], visit_due_at: day(-3), last_visited_at: day(-40), location: { lat: 42.05, lng: 1.05 } },
  { id: "b", name: "Botiga Sud", status: "lead", address: "Carrer Major 3", phone: "+376 814440",
    tags: [], visit_due_at: null, last_visited_at: null, location: { lat: 42.06, lng: 1.06 } },
  { id: "c", name: "Æbleby Kiosk", status: "prospect", address: "Ørstedsvej 1", phone: "",
    tags: ["vip", "kiosk"], visit_due_at: day(3), last_visited_at: day(-2), location: null },
  { id: "d", name: "café central", status: "customer", address: "", phone: "",
    tags: ["kiosk"], visit_due_at: day(20), last_visited_at: day(-10), location: { lat: 42.0501, lng: 1.0501 } },
]; // prettier-ignore
const CONTACTS = [{ id: "x", account_id: "d", name: "Đặng Văn Lâm", phone: "(0)91-234-5678", email: "lam@example.com" }];

test("fold matches the server's: accents, case and spaces go, đ becomes d", () => {
  assert.equal(fold("  Nguyễn   Thị ĐÀO "), "nguyen thi dao");
  assert.equal(fold("Ørstedsvej Łódź"), "orstedsvej lodz");
  assert.equal(fold(null), "");
});

test("search: name, address and contact without diacritics; every word must match", () => {
  const index = searchIndex(ACCOUNTS, CONTACTS);
  const ids = (q) => search(index, q).map((a) => a.id);
  assert.deepEqual(ids("nguyen"), ["a"]);
  assert.deepEqual(ids("NGUYEN dao"), ["a"]);
  assert.deepEqual(ids("pho hue"), ["a"]);
  assert.deepEqual(ids("dang van"), ["d"]); // a contact's name finds its account
  assert.deepEqual(ids("orsted"), ["c"]);
  assert.deepEqual(ids("nguyen botiga"), []);
  assert.deepEqual(ids(""), ["a", "b", "c", "d"]);
  assert.equal(matcher("   "), null);
});

test("search: phone numbers match by their digits alone, however they are written", () => {
  const index = searchIndex(ACCOUNTS, CONTACTS);
  const ids = (q) => search(index, q).map((a) => a.id);
  assert.deepEqual(ids("376814440"), ["b"]);
  assert.deepEqual(ids("+376 814"), ["b"]);
  assert.deepEqual(ids("3825"), ["a"]);
  assert.deepEqual(ids("091 234"), ["d"]); // a contact's phone
  assert.deepEqual(ids("12"), ["a"]); // two digits are not a phone search: the address's "12"
});

test("filters: status, tag, due by tonight, not visited in N days (never visited included)", () => {
  const ids = (f) => filterAccounts(ACCOUNTS, f, NOW).map((a) => a.id);
  assert.deepEqual(ids({}), ["a", "b", "c", "d"]);
  assert.deepEqual(ids({ status: "customer" }), ["a", "d"]);
  assert.deepEqual(ids({ tag: "kiosk" }), ["c", "d"]);
  assert.deepEqual(ids({ due: true }), ["a"]);
  assert.deepEqual(ids({ notVisitedDays: 30 }), ["a", "b"]);
  assert.deepEqual(ids({ notVisitedDays: 5, tag: "vip" }), ["a"]);
  assert.deepEqual(ids({ notVisitedDays: 0 }), ["a", "b", "c", "d"]); // 0 or empty: no filter
  assert.equal(activeFilters({ status: "lead", due: false, notVisitedDays: 7 }), 2);
  assert.equal(isDue({ visit_due_at: null }, NOW), false);
  assert.deepEqual(allTags(ACCOUNTS), ["kiosk", "vip"]);
});

test("sorting: name (collated), due (none last), last visit (never first), distance (no location last)", () => {
  const collator = new Intl.Collator("en");
  const ids = (sort, here) => sortAccounts(ACCOUNTS, sort, { here, collator }).map((a) => a.id);
  assert.deepEqual(ids("name"), ["c", "b", "d", "a"]);
  assert.deepEqual(ids("due"), ["a", "c", "d", "b"]);
  assert.deepEqual(ids("last_visit"), ["b", "a", "d", "c"]);
  assert.deepEqual(ids("distance", { lat: 42.0502, lng: 1.0502 }), ["d", "a", "b", "c"]);
  const near = sortAccounts(ACCOUNTS, "distance", { here: { lat: 42.05, lng: 1.05 }, collator });
  assert.equal(near[0].distance_m, 0);
  assert.equal(near[3].distance_m, null);
  assert.deepEqual(ids("distance", null), ids("name")); // no fix: by name
  assert.equal(ACCOUNTS[0].id, "a"); // a copy, never the screen's array
});

test("colour rule: by status, or by how overdue the visit is; the legend lists each colour", () => {
  assert.equal(dueClass(ACCOUNTS[0], NOW), "overdue");
  assert.equal(dueClass(ACCOUNTS[1], NOW), "none");
  assert.equal(dueClass(ACCOUNTS[2], NOW), "soon");
  assert.equal(dueClass(ACCOUNTS[3], NOW), "ok");
  assert.equal(dueClass({ visit_due_at: day(0.2) }, NOW), "soon"); // later today
  assert.equal(dueClass({ visit_due_at: day(-0.01) }, NOW), "overdue"); // a moment ago
  assert.equal(colourOf(ACCOUNTS[1], "status", NOW), "c-status-lead");
  assert.equal(colourOf(ACCOUNTS[1], "due", NOW), "c-due-none");
  assert.deepEqual(legendOf("due").map((l) => l.cls), ["c-due-none", "c-due-ok", "c-due-soon", "c-due-overdue"]);
  assert.equal(legendOf("status").length, 5);
  assert.equal(legendOf("status")[0].key, "account_status_lead");
});

test("a lasso takes the accounts inside the drawn ring, none without a location", async () => {
  const { insideLasso, insidePolygon } = await import("../static/pwa/js/accounts-view.js");
  const square = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }];
  assert.equal(insidePolygon({ x: 5, y: 5 }, square), true);
  assert.equal(insidePolygon({ x: 15, y: 5 }, square), false);
  // A concave ring (a "C"): the notch is outside.
  const c = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 3 }, { x: 3, y: 3 }, { x: 3, y: 7 },
             { x: 10, y: 7 }, { x: 10, y: 10 }, { x: 0, y: 10 }]; // prettier-ignore
  assert.equal(insidePolygon({ x: 6, y: 5 }, c), false);
  assert.equal(insidePolygon({ x: 1, y: 5 }, c), true);
  const ring = [{ lat: 42.04, lng: 1.04 }, { lat: 42.04, lng: 1.07 }, { lat: 42.07, lng: 1.07 }, { lat: 42.07, lng: 1.04 }];
  assert.deepEqual(insideLasso(ACCOUNTS, ring).map((a) => a.id), ["a", "b", "d"]);
  assert.deepEqual(insideLasso(ACCOUNTS, ring.slice(0, 2)), []);
});
