// Every user-facing string goes through t(): one catalog per language (i18n/<lang>.js).
// Persian is right-to-left: the page flips through dir="rtl" and logical CSS properties.

import { messages as en } from "./i18n/en.js";
import { messages as fa } from "./i18n/fa.js";
import { messages as vi } from "./i18n/vi.js";

export const CATALOGS = { en, vi, fa };
/** Languages offered, each named in itself. */
export const LANGUAGES = [
  { code: "en", name: "English", dir: "ltr" },
  { code: "vi", name: "Tiếng Việt", dir: "ltr" },
  { code: "fa", name: "فارسی", dir: "rtl" },
];

let current = "en";

/**
 * Pick a supported language from a preference list (e.g. navigator.languages).
 * @param {string[]} preferred
 * @returns {string}
 */
export function pickLanguage(preferred) {
  for (const tag of preferred || []) {
    const code = String(tag).toLowerCase().split("-")[0];
    if (CATALOGS[code]) return code;
  }
  return "en";
}

/**
 * Switch language and set lang/dir on the document.
 * @param {string} code
 * @param {Document} [doc]
 */
export function setLanguage(code, doc = globalThis.document) {
  current = CATALOGS[code] ? code : "en";
  if (doc) {
    doc.documentElement.lang = current;
    doc.documentElement.dir = LANGUAGES.find((l) => l.code === current).dir;
  }
  return current;
}

/** @returns {string} the current language code */
export function language() {
  return current;
}

/**
 * Translate a key; `{name}` placeholders are filled from params. A missing key falls back to
 * English, then to the key itself, so a gap shows as text rather than breaking the screen.
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 * @returns {string}
 */
export function t(key, params = {}) {
  const text = CATALOGS[current][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/**
 * @param {string|Date|null} value
 * @param {Intl.DateTimeFormatOptions} [options]
 * @returns {string}
 */
export function formatDateTime(value, options = { dateStyle: "medium", timeStyle: "short" }) {
  if (!value) return "";
  return new Intl.DateTimeFormat(current, options).format(new Date(value));
}

/** @param {string|Date|null} value @returns {string} hours:minutes in the rep's language */
export function formatTime(value) {
  return formatDateTime(value, { hour: "2-digit", minute: "2-digit" });
}

/** @param {number} n @returns {string} the number in the rep's language's digits */
export function formatNumber(n) {
  return new Intl.NumberFormat(current).format(n);
}

/**
 * @param {number|null} metres
 * @returns {string} "350 m" / "1.2 km", localised digits
 */
export function formatDistance(metres) {
  if (metres == null || Number.isNaN(metres)) return "";
  if (metres < 1000) {
    return t("distance_m", { n: new Intl.NumberFormat(current).format(Math.round(metres)) });
  }
  const km = new Intl.NumberFormat(current, { maximumFractionDigits: 1 }).format(metres / 1000);
  return t("distance_km", { n: km });
}
