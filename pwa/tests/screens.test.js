import assert from "node:assert/strict";
import { test } from "node:test";

import { distanceM, isFar } from "../static/pwa/js/geo.js";
import { CATALOGS, pickLanguage, setLanguage, t } from "../static/pwa/js/i18n.js";
import { nearest } from "../static/pwa/js/screens/nearby.js";
import { dueTasks } from "../static/pwa/js/screens/tasks.js";
import { mapLabels, numbersLabel, stopNumber, todayStops } from "../static/pwa/js/screens/today.js";

test("every language has every key of the English catalog", () => {
  const keys = Object.keys(CATALOGS.en).sort();
  for (const code of ["vi", "fa"]) {
    assert.deepEqual(Object.keys(CATALOGS[code]).sort(), keys, code);
  }
});

test("t fills placeholders and picks a language from the browser's list", () => {
  setLanguage("en", null);
  assert.equal(t("eta", { time: "09:30" }), "ETA 09:30");
  assert.equal(pickLanguage(["fa-IR", "en"]), "fa");
  assert.equal(pickLanguage(["de-DE"]), "en");
});

test("distances are metres on the sphere; the far rule matches the server's", () => {
  const d = distanceM({ lat: 42.05, lng: 1.05 }, { lat: 42.05, lng: 1.06 });
  assert.ok(Math.abs(d - 826) < 5, String(d));
  assert.equal(isFar(250, 10), true);
  assert.equal(isFar(250, 60), false);
});

test("today: my stops for today in route order, logged stops marked done", () => {
  const visits = [
    { id: "v3", rep_id: 1, scheduled_on: "2026-11-24", route_sequence: 3, account_id: "c", status: "planned" },
    { id: "v1", rep_id: 1, scheduled_on: "2026-11-24", route_sequence: 1, account_id: "a", status: "planned" },
    { id: "v2", rep_id: 1, scheduled_on: "2026-11-24", route_sequence: null, account_id: "b", status: "planned", window_start: "09:00:00" },
    { id: "x", rep_id: 2, scheduled_on: "2026-11-24", route_sequence: 1, account_id: "a", status: "planned" },
    { id: "y", rep_id: 1, scheduled_on: "2026-11-23", route_sequence: 1, account_id: "a", status: "planned" },
    { id: "z", rep_id: 1, scheduled_on: "2026-11-24", route_sequence: 2, account_id: "d", status: "cancelled" },
    { id: "log", rep_id: 1, scheduled_on: null, account_id: "c", status: "done", completed_at: "2026-11-24T10:00:00Z" },
    { id: "v4", rep_id: 1, scheduled_on: "2026-11-24", route_sequence: 4, account_id: "e", status: "done" },
  ];
  const stops = todayStops(visits, 1, "2026-11-24");
  assert.deepEqual(stops.map((s) => s.id), ["v1", "v3", "v4", "v2"]);
  assert.deepEqual(stops.map((s) => Boolean(s.logged)), [false, true, true, false]);
  assert.equal(stops[2].logged.id, "v4"); // a stop logged as an edit of its own visit
});

test("tasks: mine, open, overdue and due today", () => {
  const now = new Date(2026, 10, 24, 12, 0);
  const at = (d, h) => new Date(2026, 10, d, h).toISOString();
  const tasks = [
    { id: "old", assignee_id: 1, due_at: at(20, 9), is_done: false },
    { id: "today", assignee_id: 1, due_at: at(24, 17), is_done: false },
    { id: "done", assignee_id: 1, due_at: at(24, 9), is_done: true },
    { id: "later", assignee_id: 1, due_at: at(26, 9), is_done: false },
    { id: "theirs", assignee_id: 2, due_at: at(24, 9), is_done: false },
  ];
  const { overdue, today } = dueTasks(tasks, 1, now);
  assert.deepEqual(overdue.map((x) => x.id), ["old"]);
  assert.deepEqual(today.map((x) => x.id), ["today"]);
});

test("nearby sorts local accounts by distance and skips those without a location", () => {
  const here = { lat: 42.05, lng: 1.05 };
  const accounts = [
    { id: "far", location: { lat: 42.1, lng: 1.1 } },
    { id: "none", location: null },
    { id: "near", location: { lat: 42.0501, lng: 1.05 } },
  ];
  assert.deepEqual(nearest(accounts, here).map((a) => a.id), ["near", "far"]);
});

test("today's map numbers a stop by its sequence, not by its place among the stops drawn", () => {
  // Stops 2-8 are not on this phone: the drawn ones are still 1, 9 and 10.
  const stops = [1, 2, 3, 9, 10].map((n) => ({ id: `v${n}`, route_sequence: n }));
  assert.deepEqual(stops.map(stopNumber), [1, 2, 3, 9, 10]);
  assert.deepEqual([{ route_sequence: null }, { route_sequence: null }].map(stopNumber), [1, 2]);
});

test("today's map: close stops share one label (9,10), far ones keep their own", () => {
  const points = [
    { number: 1, x: 10, y: 10 },
    { number: 10, x: 205, y: 96 },
    { number: 9, x: 200, y: 100 },
    { number: 12, x: 300, y: 40 },
  ];
  assert.deepEqual(mapLabels(points, 22), [
    { at: 0, text: "1", merged: false },
    { at: 2, text: "9,10", merged: true }, // on stop 9, the lower number
    { at: 3, text: "12", merged: false },
  ]);
  // A chain of close stops is one label; a run of three or more is a range.
  const chain = [3, 4, 5, 7].map((number, i) => ({ number, x: i * 15, y: 0 }));
  assert.deepEqual(mapLabels(chain, 22), [{ at: 0, text: "3–5,7", merged: true }]);
  assert.equal(numbersLabel([10, 9]), "9,10");
  assert.equal(numbersLabel([1, 2, 3, 5, 6, 9]), "1–3,5,6,9");
});
