// Time on site (issue 21): check-in to check-out of a visit, the visit left open, and when an
// open visit may be closed. Pure functions: the card, the visit form and the boot prompt share
// them, and node tests pin them.

/**
 * Milliseconds on site: to the check-out, or (an open visit) to ``now``; null before a check-in.
 * @param {{checked_in_at?: string|null, checked_out_at?: string|null}} visit
 * @param {Date|number} [now]
 * @returns {number|null}
 */
export function timeOnSiteMs(visit, now = Date.now()) {
  if (!visit?.checked_in_at) return null;
  const start = Date.parse(visit.checked_in_at);
  const end = visit.checked_out_at ? Date.parse(visit.checked_out_at) : Number(now);
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, end - start);
}

/**
 * A running clock's text, "0:07:05" / "12:00:00" (hours:minutes:seconds). The digits stay
 * Latin and the order left to right in every language (the screens wrap it in ``bdi dir=ltr``).
 * @param {number|null} ms
 * @returns {string}
 */
export function formatDuration(ms) {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return "";
  const total = Math.floor(ms / 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${Math.floor(total / 3600)}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

/**
 * Whole minutes on site, rounded as the server's pages round them.
 * @param {number|null} ms
 * @returns {number|null}
 */
export function minutesOf(ms) {
  return ms == null ? null : Math.round(ms / 60_000);
}

/**
 * Visits of this rep checked in and neither checked out nor logged (nor cancelled), oldest first.
 * @param {object[]} visits
 * @param {number|null|undefined} repId
 * @returns {object[]}
 */
export function openVisits(visits, repId) {
  return visits
    .filter((v) => v.rep_id === repId && v.checked_in_at && !v.checked_out_at)
    .filter((v) => v.status !== "done" && v.status !== "cancelled")
    .sort((a, b) => String(a.checked_in_at).localeCompare(String(b.checked_in_at)));
}

/**
 * The two times an open visit found at the next app open may be closed at: the last moment the
 * app was known to be in use (never before the check-in; null when that is unknown or is the
 * check-in itself, so only "now" is offered), and now.
 * @param {{checked_in_at: string}} visit
 * @param {string|null} lastSeenAt the app's last "in use" mark from before this start
 * @param {Date} [now]
 * @returns {{lastKnown: string|null, now: string}}
 */
export function closeTimes(visit, lastSeenAt, now = new Date()) {
  const nowIso = now.toISOString();
  const start = Date.parse(visit.checked_in_at);
  const seen = lastSeenAt ? Date.parse(lastSeenAt) : NaN;
  if (Number.isNaN(seen) || seen <= start || seen >= now.getTime()) return { lastKnown: null, now: nowIso };
  return { lastKnown: new Date(seen).toISOString(), now: nowIso };
}
