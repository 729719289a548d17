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

/**
 * Read the position once, only when the rep asks (check-in, new prospect, nearby):
 * no watchPosition, no background tracking.
 * @returns {Promise<{location: {lat: number, lng: number}, accuracy_m: number, at: string}>}
 */
export function currentFix(geolocation = globalThis.navigator?.geolocation) {
  return new Promise((resolve, reject) => {
    if (!geolocation) {
      reject(new Error("unavailable"));
      return;
    }
    geolocation.getCurrentPosition(
      (pos) =>
        resolve({
          location: { lat: pos.coords.latitude, lng: pos.coords.longitude },
          accuracy_m: Math.round(pos.coords.accuracy * 10) / 10,
          at: new Date(pos.timestamp || Date.now()).toISOString(),
        }),
      reject,
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 30_000 },
    );
  });
}

/**
 * Links that open the phone's navigation app at a point.
 * @param {{lat: number, lng: number}} p
 * @param {string} label
 * @returns {{geo: string, web: string}}
 */
export function navigateLinks(p, label) {
  const q = encodeURIComponent(label || "");
  return {
    geo: `geo:${p.lat},${p.lng}?q=${p.lat},${p.lng}(${q})`,
    web: `https://www.openstreetmap.org/directions?to=${p.lat}%2C${p.lng}`,
  };
}
