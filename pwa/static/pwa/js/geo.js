// Distances on the phone (nearby, check-in feedback) from local data: metres on the sphere,
// never degrees (DESIGN.md), matching the server's great-circle figures closely enough.

const EARTH_RADIUS_M = 6_371_008.8;
/** The server flags a check-in farther than this (plus the GPS accuracy) from the account. */
export const FAR_CHECK_IN_M = 200;

/**
 * @param {{lat: number, lng: number}} a
 * @param {{lat: number, lng: number}} b
 * @returns {number} metres
 */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * @param {number} distance metres
 * @param {number|null} accuracy metres
 * @returns {boolean} the same rule as the server's is_far
 */
export function isFar(distance, accuracy) {
  return distance > FAR_CHECK_IN_M + (accuracy || 0);
}

/** How long a check-in or a new prospect waits for a fresh fix before saying so. */
export const FIX_TIMEOUT_MS = 20_000;

/** Why no fix came: "denied" (permission), "timeout", "unavailable" (no GPS, no signal). */
export class FixError extends Error {
  /** @param {"denied"|"timeout"|"unavailable"} reason */
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}

const REASONS = { 1: "denied", 2: "unavailable", 3: "timeout" };

/**
 * Read the position once, only when the rep asks (check-in, new prospect, nearby):
 * no watchPosition, no background tracking. By default the fix must be a new one
 * (maximumAge 0): a check-in or a prospect never reuses the fix of the previous stop
 * (issue 14). Only "nearby", which is never stored, may accept a recent one.
 * @param {{geolocation?: Geolocation, maxAgeMs?: number, timeoutMs?: number}} [options]
 * @returns {Promise<{location: {lat: number, lng: number}, accuracy_m: number, fix_at: string}>}
 *   rejects with a FixError
 */
export function currentFix({
  geolocation = globalThis.navigator?.geolocation,
  maxAgeMs = 0,
  timeoutMs = FIX_TIMEOUT_MS,
} = {}) {
  return new Promise((resolve, reject) => {
    if (!geolocation) {
      reject(new FixError("unavailable"));
      return;
    }
    geolocation.getCurrentPosition(
      (pos) =>
        resolve({
          location: { lat: pos.coords.latitude, lng: pos.coords.longitude },
          accuracy_m: Math.round(pos.coords.accuracy * 10) / 10,
          // The fix's own time (when the position was measured), not when it was read;
          // unknown (null) from a browser that gives none, never made up.
          fix_at: Number.isFinite(pos.timestamp) && pos.timestamp > 0 ? new Date(pos.timestamp).toISOString() : null,
        }),
      (error) => reject(new FixError(REASONS[error?.code] || "unavailable")),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: maxAgeMs },
    );
  });
}

/**
 * What a check-in sends: when the rep checked in, and the fix, or a position recorded as
 * missing (all null) when the rep continued without one. Never a guessed or earlier fix.
 * @param {{location: object, accuracy_m: number, fix_at: string}|null} fix
 * @param {string} at ISO time of the check-in (the rep's tap)
 * @returns {{location: object|null, accuracy_m: number|null, fix_at: string|null, at: string}}
 */
export function checkInOf(fix, at) {
  if (!fix) return { location: null, accuracy_m: null, fix_at: null, at };
  return { location: fix.location, accuracy_m: fix.accuracy_m ?? null, fix_at: fix.fix_at ?? null, at };
}

/** The navigation apps a rep can choose (More); "system" is the phone's own geo: handler. */
export const NAV_APPS = ["system", "google", "organic", "osmand"];

/**
 * Links that open the phone's navigation app at a point: `href` for the rep's chosen app
 * (issue 21; the system geo: link unless they chose another), `geo` and `web` as before. The
 * app itself contacts no host: a link is only followed when the rep taps it.
 * - google: the Maps URLs API (https://developers.google.com/maps/documentation/urls),
 *   directions from where the phone is;
 * - organic: Organic Maps' documented show-point link (https://omaps.app/api, `map?v=1`):
 *   the shop opens on its map, one tap from "Route to". Its `route` link wants a start
 *   point, in a fixed order of parameters, which the card does not have when it is drawn;
 * - osmand: OsmAnd's own link with a pin (its "OsmAnd specific intents").
 * @param {{lat: number, lng: number}} p
 * @param {string} label
 * @param {string} [app] one of NAV_APPS
 * @returns {{href: string, geo: string, web: string}}
 */
export function navigateLinks(p, label, app = "system") {
  const q = encodeURIComponent(label || "");
  const at = `${p.lat},${p.lng}`;
  const geo = `geo:${at}?q=${at}(${q})`;
  const chosen = {
    google: `https://www.google.com/maps/dir/?api=1&destination=${p.lat}%2C${p.lng}`,
    organic: `om://map?v=1&ll=${at}&n=${q}`,
    osmand: `https://osmand.net/map/?pin=${at}#16/${p.lat}/${p.lng}`,
  };
  return {
    href: chosen[app] || geo,
    geo,
    web: `https://www.openstreetmap.org/directions?to=${p.lat}%2C${p.lng}`,
  };
}

/**
 * A web link (Google Maps, OsmAnd's) opens in its own window: the installed app stays where the
 * rep was. An app scheme (geo:, om:) hands over to the app as it is.
 * @param {string} href
 * @returns {object} extra attributes for the link
 */
export function outside(href) {
  return href.startsWith("https:") ? { target: "_blank", rel: "noopener" } : {};
}
