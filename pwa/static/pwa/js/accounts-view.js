// The rep's accounts on the phone, as the map and the list show them (issue 21): search,
// filters, sorting and the colour rule. Pure functions over the synced records, no DOM, so
// node tests cover them and the screens only draw.

import { distanceM } from "./geo.js";

const DAY_MS = 24 * 3600 * 1000;
// Letters NFKD does not take apart, as the server folds them (fieldcrm/search/text.py).
const LETTERS = { đ: "d", Đ: "d", ø: "o", Ø: "o", ł: "l", Ł: "l" };
const MARKS = /\p{M}/gu;

/**
 * The server's search fold: accents, case and repeated spaces dropped, đ → d, so "nguyen"
 * finds "Nguyễn" on the phone as it does in the workspace.
 * @param {string|null|undefined} value
 * @returns {string}
 */
export function fold(value) {
  const plain = String(value ?? "").replace(/[đĐøØłŁ]/g, (c) => LETTERS[c]);
  return plain.normalize("NFKD").replace(MARKS, "").toLowerCase().replace(/\s+/g, " ").trim();
}

/** @param {string|null|undefined} value @returns {string} its digits only ("+376 81-44" → "3768144") */
export function digits(value) {
  return String(value ?? "").replace(/\D/g, "");
}

/**
 * One entry per account with its folded text (name, address, phone, its contacts' names,
 * phones and e-mails) and its phones' digits, built once per screen so a keystroke only
 * compares strings.
 * @param {object[]} accounts
 * @param {object[]} contacts
 * @returns {{account: object, text: string, digits: string}[]}
 */
export function searchIndex(accounts, contacts = []) {
  const byAccount = new Map();
  for (const c of contacts) {
    if (!byAccount.has(c.account_id)) byAccount.set(c.account_id, []);
    byAccount.get(c.account_id).push(c);
  }
  return accounts.map((account) => {
    const people = byAccount.get(account.id) || [];
    const words = [account.name, account.address, account.phone, account.email,
      ...people.flatMap((c) => [c.name, c.phone, c.email])]; // prettier-ignore
    const phones = [account.phone, ...people.map((c) => c.phone)].filter(Boolean);
    // "|" keeps a query from matching across two fields ("shop" + "carrer" ≠ "shopcarrer").
    return { account, text: fold(words.filter(Boolean).join(" | ")), digits: phones.map(digits).join("|") };
  });
}

/**
 * A query's test: every word of it in the folded text; a query of digits (and phone
 * punctuation) also matches a phone written with spaces, dashes or a "+".
 * @param {string} query
 * @returns {((entry: {text: string, digits: string}) => boolean)|null} null: no query, all match
 */
export function matcher(query) {
  const words = fold(query).split(" ").filter(Boolean);
  if (!words.length) return null;
  const number = digits(query);
  const phoneLike = number.length >= 3 && /^[\d\s+\-().]+$/.test(query.trim());
  return (entry) => (phoneLike && entry.digits.includes(number)) || words.every((w) => entry.text.includes(w));
}

/**
 * @param {{account: object, text: string, digits: string}[]} index (already sorted)
 * @param {string} query
 * @returns {object[]} the matching accounts, in the index's order
 */
export function search(index, query) {
  const test = matcher(query);
  const out = [];
  for (const entry of index) if (!test || test(entry)) out.push(entry.account);
  return out;
}

/** The end of the phone's day: "due" means due by tonight, as the rep's digest counts it. */
function endOfDay(now) {
  const end = new Date(now);
  end.setHours(24, 0, 0, 0);
  return end.getTime();
}

/**
 * @param {object} account
 * @param {Date} now
 * @returns {boolean} its visit is due by the end of today
 */
export function isDue(account, now) {
  return Boolean(account.visit_due_at) && Date.parse(account.visit_due_at) < endOfDay(now);
}

/**
 * @typedef {{status?: string, tag?: string, due?: boolean, notVisitedDays?: number|null}} Filters
 * @param {object[]} accounts
 * @param {Filters} filters
 * @param {Date} [now]
 * @returns {object[]}
 */
export function filterAccounts(accounts, filters, now = new Date()) {
  const { status, tag, due, notVisitedDays } = filters || {};
  const days = Number.isFinite(notVisitedDays) && notVisitedDays > 0 ? notVisitedDays : null;
  const cutoff = days ? now.getTime() - days * DAY_MS : null;
  return accounts.filter(
    (a) =>
      (!status || a.status === status) &&
      (!tag || (a.tags || []).includes(tag)) &&
      (!due || isDue(a, now)) &&
      // Never visited counts as not visited in N days.
      (cutoff == null || !a.last_visited_at || Date.parse(a.last_visited_at) < cutoff),
  );
}

/** @param {Filters} filters @returns {number} how many filters are set */
export function activeFilters(filters) {
  const f = filters || {};
  return [f.status, f.tag, f.due, Number.isFinite(f.notVisitedDays) && f.notVisitedDays > 0].filter(Boolean).length;
}

/** @param {object[]} accounts @returns {string[]} every tag on them, sorted */
export function allTags(accounts) {
  return [...new Set(accounts.flatMap((a) => a.tags || []))].sort();
}

export const SORTS = ["name", "due", "last_visit", "distance"];

/**
 * A sorted copy. Missing values go last (no location, no cadence), except for the last
 * visit, where never visited comes first: the longest without a visit leads.
 * @param {object[]} accounts
 * @param {string} sort one of SORTS
 * @param {{here?: {lat: number, lng: number}|null, collator?: Intl.Collator}} [options]
 * @returns {object[]} for "distance", each with `distance_m`
 */
export function sortAccounts(accounts, sort, { here = null, collator = new Intl.Collator() } = {}) {
  const byName = (a, b) => collator.compare(a.name || "", b.name || "");
  const time = (v, missing) => (v ? Date.parse(v) : missing);
  if (sort === "distance" && here) {
    return accounts
      .map((a) => ({ ...a, distance_m: a.location ? distanceM(here, a.location) : null }))
      .sort((a, b) => (a.distance_m ?? Infinity) - (b.distance_m ?? Infinity) || byName(a, b));
  }
  const list = [...accounts];
  if (sort === "due") {
    return list.sort((a, b) => time(a.visit_due_at, Infinity) - time(b.visit_due_at, Infinity) || byName(a, b));
  }
  if (sort === "last_visit") {
    return list.sort((a, b) => time(a.last_visited_at, -Infinity) - time(b.last_visited_at, -Infinity) || byName(a, b));
  }
  return list.sort(byName);
}

export const COLOUR_MODES = ["status", "due"];
export const STATUSES = ["lead", "prospect", "customer", "disqualified", "churned"];
/** Visit classes, from least to most urgent (a cluster takes its most urgent account's). */
export const DUE_CLASSES = ["none", "ok", "soon", "overdue"];
const SOON_DAYS = 7;

/**
 * How overdue an account's visit is: "none" (no cadence), "ok" (due in more than a week),
 * "soon" (due within the week, today included), "overdue" (its due time has passed).
 * @param {object} account
 * @param {Date} now
 * @returns {string} one of DUE_CLASSES
 */
export function dueClass(account, now) {
  if (!account.visit_due_at) return "none";
  const due = Date.parse(account.visit_due_at);
  if (due < now.getTime()) return "overdue";
  return due < endOfDay(now) + (SOON_DAYS - 1) * DAY_MS ? "soon" : "ok";
}

/**
 * The colour class of one account's pin (CSS: .c-status-lead, .c-due-overdue, ...).
 * @param {object} account
 * @param {string} mode one of COLOUR_MODES
 * @param {Date} now
 * @returns {string}
 */
export function colourOf(account, mode, now) {
  return mode === "due" ? `c-due-${dueClass(account, now)}` : `c-status-${account.status}`;
}

/**
 * The legend of a colour mode: [{cls, key}], key an i18n key.
 * @param {string} mode
 * @returns {{cls: string, key: string}[]}
 */
export function legendOf(mode) {
  return mode === "due"
    ? DUE_CLASSES.map((c) => ({ cls: `c-due-${c}`, key: `due_class_${c}` }))
    : STATUSES.map((s) => ({ cls: `c-status-${s}`, key: `account_status_${s}` }));
}

/**
 * Whether a point is inside a polygon (ray casting; the ring need not be closed). Screen
 * pixels or degrees alike: the lasso is drawn on a screen-sized map, where the earth is flat.
 * @param {{x: number, y: number}} point
 * @param {{x: number, y: number}[]} ring
 * @returns {boolean}
 */
export function insidePolygon(point, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const a = ring[i];
    const b = ring[j];
    if (a.y > point.y !== b.y > point.y && point.x < ((b.x - a.x) * (point.y - a.y)) / (b.y - a.y) + a.x) {
      inside = !inside;
    }
  }
  return inside;
}

/**
 * The accounts a lasso takes: those with a location inside the drawn ring (lat/lng points).
 * @param {object[]} accounts
 * @param {{lat: number, lng: number}[]} ring
 * @returns {object[]}
 */
export function insideLasso(accounts, ring) {
  if (ring.length < 3) return [];
  const flat = ring.map((p) => ({ x: p.lng, y: p.lat }));
  return accounts.filter((a) => a.location && insidePolygon({ x: a.location.lng, y: a.location.lat }, flat));
}
