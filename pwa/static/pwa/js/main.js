// Boot: language, user, the sync loop and its triggers, the service worker, the screens.

import * as actions from "./actions.js";
import { keepAddressIndexes } from "./address-index.js";
import { createApi } from "./api.js";
import * as db from "./db.js";
import { formatTime, pickLanguage, setLanguage, t } from "./i18n.js";
import * as outbox from "./outbox.js";
import { renderAccount } from "./screens/account.js";
import { renderAccountsList } from "./screens/accounts-list.js";
import { renderAccountsMap } from "./screens/accounts-map.js";
import { renderMore } from "./screens/more.js";
import { renderNearby } from "./screens/nearby.js";
import { renderNotificationSettings } from "./screens/notification-settings.js";
import { renderNotifications, unreadCount } from "./screens/notifications.js";
import { renderOrder } from "./screens/order.js";
import { renderProspect } from "./screens/prospect.js";
import { renderTasks } from "./screens/tasks.js";
import { renderToday } from "./screens/today.js";
import { renderVisitForm } from "./screens/visit-form.js";
import { closeTimes, openVisits } from "./onsite.js";
import { uploadPhotos } from "./photo-sync.js";
import { createSync } from "./sync.js";
import { fillPack, packDue } from "./tile-pack.js";
import { h, mount } from "./ui.js";
import { wipeDevice } from "./wipe.js";

const SCREENS = {
  today: renderToday,
  account: renderAccount,
  map: renderAccountsMap,
  list: renderAccountsList,
  visit: renderVisitForm,
  prospect: renderProspect,
  nearby: renderNearby,
  tasks: renderTasks,
  more: renderMore,
  notifications: renderNotifications,
  "notification-settings": renderNotificationSettings,
  order: renderOrder,
};
// Five entries fit 360 px with room between the labels (Vietnamese ones included). The
// accounts' map and list share one (Nearby is the list sorted by distance; #/nearby stays).
const NAV = [
  ["today", "#/today"],
  ["accounts", "#/map", ["map", "list", "nearby"]],
  ["new_prospect_short", "#/prospect"],
  ["tasks", "#/tasks"],
  ["more", "#/more", ["notification-settings"]],
];
const BG_SYNC_TAG = "fieldcrm-outbox";
const { onChange: onLocalChange } = actions;
const { clearAll, getMeta, setMeta } = db;
const { counts, newId } = outbox;
// The app ships as one bundle; its modules stay reachable for support in the console and for
// the browser tests, which queue work exactly as the screens do.
globalThis.fieldcrm = { actions, db, outbox };

const config = JSON.parse(document.getElementById("fieldcrm-config").textContent);
const api = createApi();
const ctx = {
  api, config, me: null, sync: null, revoked: null, navigate, rerender: () => render(),
  tilePack: { running: false, done: 0, total: 0, refresh: () => keepTiles({ force: true }) },
  install: { event: null, prompt: () => promptInstall() },
}; // prettier-ignore
const channel = "BroadcastChannel" in globalThis ? new BroadcastChannel("fieldcrm") : null;
let indicatorState = { online: navigator.onLine, pending: 0, rejected: 0, lastSyncAt: null };
// Successful syncs since this page opened (tests and the indicator's "Synced" read it).
let syncCount = 0;
let shownEarly = "";

// Screens that show synced data re-render when a sync lands; forms never do (typing is kept).
const LIVE_SCREENS = new Set(["today", "tasks", "more", "account", "notifications"]);

function refreshIfLive() {
  const name = (location.hash.replace(/^#\/?/, "") || "today").split(/[/?]/)[0];
  const editing = document.querySelector("details.edit[open]");
  if (LIVE_SCREENS.has(name) && !editing) render();
}

// The offline map's progress shows on More only: other screens are never redrawn for it
// (a redraw under the rep's finger loses what they were opening).
function refreshMore() {
  const name = (location.hash.replace(/^#\/?/, "") || "today").split(/[/?]/)[0];
  if (name === "more") render();
}

function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

async function render() {
  if (ctx.revoked) return renderRevoked();
  markSeen();
  const [path, query = ""] = (location.hash.replace(/^#\/?/, "") || "today").split("?");
  const [name, ...params] = path.split("/");
  const screen = SCREENS[name] || renderToday;
  const main = document.getElementById("screen");
  renderNav(name);
  renderIndicator(); // the language may have changed
  renderBell();
  storageWarning();
  await screen(main, { ...ctx, params, query: new URLSearchParams(query) });
  // A screen made for typing at once (the order's product search) names its first field.
  (main.querySelector("[data-autofocus]") || main).focus({ preventScroll: true });
}

function renderNav(active) {
  const nav = document.getElementById("nav");
  nav.setAttribute("aria-label", t("main_menu"));
  mount(
    nav,
    NAV.map(([key, href, also = []]) =>
      h("a", { href, "aria-current": href === `#/${active}` || also.includes(active) ? "page" : null },
        h("span", null, t(key))),
    ),
  );
}

// Our own install offer (issue 21): where the browser offers installing, its mini-infobar is
// held back and More shows "Install the app" (unless the rep said "Not now"); a tap asks the
// browser's own prompt. Kept until used: the browser fires it once per page.
function offerInstall(event) {
  event.preventDefault();
  ctx.install.event = event;
  refreshMore();
}

async function promptInstall() {
  const event = ctx.install.event;
  if (!event) return;
  ctx.install.event = null;
  try {
    await event.prompt();
    await event.userChoice;
  } catch {
    // The browser refused to show it again: nothing to do.
  }
  refreshMore();
}

// The app's last moment in use, so a visit left open can be closed at it (issue 21): marked on
// every screen and when the app goes to the background.
function markSeen() {
  setMeta("last_seen_at", new Date().toISOString()).catch(() => {});
}

// A visit left open (checked in, never checked out), found at the app's start: offer to
// close it at the last known moment in use, or now, or keep it open (the rep is still there).
async function openVisitPrompt(lastSeenAt) {
  const [visit] = openVisits(await db.allRecords("visits"), ctx.me?.id);
  if (!visit) return;
  const { lastKnown, now } = closeTimes(visit, lastSeenAt);
  const box = h("section", { id: "open-visit", class: "card warning", role: "alert", "aria-labelledby": "open-visit-h" });
  const close = async (at) => {
    const account = (await db.getRecord("accounts", visit.account_id)) || { id: visit.account_id };
    await actions.checkOut({ account, visit, at });
    box.remove();
    render();
  };
  mount(box,
    h("h2", { id: "open-visit-h" }, t("open_visit_title")),
    h("p", null, t("open_visit_body", { name: visit.account_name || "", time: formatTime(visit.checked_in_at) })),
    h("div", { class: "row" },
      lastKnown ? h("button", { type: "button", class: "btn btn-primary", id: "close-last-known", onclick: () => close(lastKnown) },
        t("close_at", { time: formatTime(lastKnown) })) : null,
      h("button", { type: "button", class: "btn", id: "close-now", onclick: () => close(now) }, t("close_now")),
      h("button", { type: "button", class: "btn btn-quiet", id: "keep-open", onclick: () => box.remove() }, t("still_here")))); // prettier-ignore
  document.getElementById("open-visit")?.remove();
  document.getElementById("screen").before(box);
}

// The custom fields' definitions (the card's widgets), kept for offline after each sync.
async function keepCustomFields() {
  if (ctx.revoked || !navigator.onLine) return;
  const answer = await api.request("custom-fields");
  if (answer.kind === "ok" && Array.isArray(answer.data)) await setMeta("custom_fields", answer.data);
}

// The bell: unread notifications on this phone (read offline; marking read is an outbox edit).
async function renderBell() {
  const bell = document.getElementById("bell");
  const n = unreadCount(await db.allRecords("notifications"));
  bell.setAttribute("aria-label", t("notifications_unread", { n }));
  mount(bell, h("span", { "aria-hidden": "true" }, "🔔"), h("span", { id: "bell-count", class: n ? "badge" : "badge zero" }, String(n)));
  bell.dataset.unread = String(n);
  bell.hidden = false;
}

function renderIndicator() {
  const s = indicatorState;
  const box = document.getElementById("sync-indicator");
  const phase = !s.online ? "offline" : s.phase === "syncing" ? "syncing" : s.phase === "auth" ? "auth" : s.phase === "retrying" ? "retrying" : "online";
  mount(
    box,
    h("span", { class: `dot dot-${phase}`, "aria-hidden": "true" }),
    h("span", { id: "net-status" }, t(`sync_${phase}`)),
    h("span", { id: "pending", "aria-label": t("pending_changes") },
      h("span", { id: "pending-count" }, String(s.pending)), " ", t("pending_label")),
    s.rejected
      ? h("a", { href: "#/more", id: "rejected-count", class: "warn" }, t("rejected_n", { n: s.rejected }))
      : null,
    h("span", { id: "last-sync" }, s.lastSyncAt ? t("last_sync", { time: formatTime(s.lastSyncAt) }) : t("never_synced")),
  );
  box.dataset.pending = String(s.pending);
  box.dataset.syncs = String(syncCount);
  box.dataset.phase = phase; // tests wait for "syncing" to end before counting syncs
  box.dataset.pages = String(s.pages || 0); // pull pages stored by the current/last sync
}

// Safari (iOS) deletes a site's storage after 7 days without a visit unless the app is on
// the home screen; there is no API to ask, so tell the rep (DESIGN.md).
function storageWarning() {
  const standalone =
    navigator.standalone === true || matchMedia("(display-mode: standalone)").matches;
  const safari = "standalone" in navigator || (/Safari/.test(navigator.userAgent) && !/Chrom/.test(navigator.userAgent));
  const box = document.getElementById("storage-warning");
  box.hidden = standalone || !safari;
  if (!box.hidden) box.textContent = t("safari_warning");
}

// The map tiles of the rep's area, for Today's map with no signal (tile-pack.js): after a
// sync when due (never, incomplete or a week old), or when the rep asks on More.
async function keepTiles({ force = false } = {}) {
  const pack = ctx.tilePack;
  if (pack.running || ctx.revoked || !config.tileVector || !globalThis.caches) return;
  if (!force && !packDue(await db.getMeta("tile_pack", null))) return;
  pack.running = true;
  pack.done = 0;
  refreshMore();
  try {
    const status = await fillPack({
      template: config.tileUrl,
      bundleUrl: config.tileBundleUrl || null,
      accounts: await db.allRecords("accounts"),
      onProgress: (done, total) => {
        Object.assign(pack, { done, total });
        if (done % 20 === 0 || done === total) refreshMore();
      },
    });
    await db.setMeta("tile_pack", status);
  } catch {
    // No storage or no signal: the next sync tries again.
  } finally {
    pack.running = false;
    refreshMore();
  }
}

// The offline address index of the rep's territories (address-index.js): after each sync,
// only the territories whose index changed are fetched; a new prospect's address comes from it.
let keepingAddresses = false;
async function keepAddresses() {
  if (keepingAddresses || ctx.revoked || !navigator.onLine) return;
  keepingAddresses = true;
  try {
    const kept = await keepAddressIndexes({ api, db });
    if (kept) document.documentElement.dataset.addressIndexes = String(Object.keys(kept).length);
  } catch {
    // No storage or no signal: the next sync tries again.
  } finally {
    keepingAddresses = false;
  }
}

// The visits' photos (issue 21): after each sync, those whose visit is now on the server go up,
// resumable; the account card redraws with "sent" as each one lands.
const PHOTO_RETRY_MS = 30_000;
function keepPhotos() {
  if (ctx.revoked || !navigator.onLine) return;
  uploadPhotos(api, { onProgress: refreshIfLive })
    .then((summary) => {
      document.documentElement.dataset.photosSent = String(Number(document.documentElement.dataset.photosSent || 0) + summary.sent);
      // A connection that dropped mid-way: go on in a while even if nothing else syncs.
      if (summary.later) setTimeout(() => keepPhotos(), PHOTO_RETRY_MS);
    })
    .catch(() => {}); // no storage or no signal: the next sync tries again
}

// The server said this user's access was revoked (a lost phone, a rep who left): the data
// goes, the person holding the phone is told what was lost, and nothing more is sent. Other
// tabs are told too (their session went with this one's).
async function accessRevoked({ tell = true } = {}) {
  if (ctx.revoked) return;
  ctx.revoked = { unsent: 0 };
  ctx.sync?.halt();
  ctx.revoked = await wipeDevice();
  if (tell) channel?.postMessage("revoked");
  renderRevoked();
}

function renderRevoked() {
  const { unsent } = ctx.revoked;
  document.getElementById("nav").hidden = true;
  document.getElementById("sync-indicator").hidden = true;
  mount(
    document.getElementById("screen"),
    h("section", { id: "revoked", class: "card", role: "alert" },
      h("h1", {}, t("access_revoked_title")),
      h("p", {}, t("access_revoked_body")),
      unsent ? h("p", { class: "warn", id: "revoked-unsent" }, t("access_revoked_unsent", { n: unsent })) : null,
      h("a", { href: "/login/?next=/app/", class: "button" }, t("log_in_again"))),
  ); // prettier-ignore
  document.documentElement.dataset.revoked = String(unsent);
}

async function whoAmI() {
  const stored = await getMeta("me", null);
  if (!navigator.onLine) return stored;
  const answer = await api.me();
  if (answer.kind === "revoked") {
    await accessRevoked();
    return null;
  }
  if (answer.kind === "auth") {
    location.assign("/login/?next=/app/");
    return null;
  }
  if (answer.kind !== "ok") return stored;
  const me = answer.data;
  if (stored && stored.id !== me.id) {
    // Another person signs in on this phone: their data, not the last one's. Pending changes
    // of the previous user are never pushed under the new session.
    const { pending } = await counts();
    if (!pending) await clearAll();
  }
  await setMeta("me", me);
  return me;
}

async function registerWorker(sync) {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data === "flush" || event.data?.type === "flush") sync.request("background-sync");
  });
  try {
    await navigator.serviceWorker.register("/serviceworker.js", { scope: "/app/" });
  } catch {
    // No worker (private mode, old browser): the app still works online; sync is page-driven.
  }
}

async function askBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.ready;
    await reg?.sync?.register(BG_SYNC_TAG);
  } catch {
    // Background Sync is a bonus trigger (absent in Safari and Firefox).
  }
}

async function boot() {
  setLanguage((await getMeta("lang", null)) || pickLanguage(navigator.languages));
  let deviceId = await getMeta("deviceId", null);
  if (!deviceId) {
    deviceId = newId();
    await setMeta("deviceId", deviceId);
  }
  const sync = createSync({
    api,
    deviceId,
    onRevoked: () => accessRevoked(),
    onChange: (state) => {
      const before = indicatorState.lastSyncAt;
      const fresh = state.phase === "idle" && state.lastSyncAt && state.lastSyncAt !== before;
      if (fresh) syncCount += 1;
      indicatorState = state;
      renderIndicator();
      // A fresh install's head start (today's route), then its first page, are enough to
      // work with: show them rather than wait for the end of a long first sync.
      const early = `${state.headStart}:${state.pages}`;
      if (state.phase === "syncing" && !state.lastSyncAt && early !== shownEarly && (state.pages || 0) <= 1) {
        shownEarly = early;
        refreshIfLive();
      }
      if (fresh) {
        channel?.postMessage("synced");
        renderBell();
        refreshIfLive();
        // After Today is drawn and synced, never before: the address index (small) and the
        // tiles wait for an idle moment.
        keepCustomFields().catch(() => {});
        keepPhotos();
        setTimeout(() => keepAddresses(), 1000);
        setTimeout(() => keepTiles(), 2000);
      }
    },
  });
  ctx.sync = sync;
  channel?.addEventListener("message", (event) => {
    if (event.data === "revoked") accessRevoked({ tell: false });
    else refreshIfLive();
  });
  onLocalChange(() => {
    renderBell();
    sync.publish();
    if (navigator.onLine) sync.request("change");
    else askBackgroundSync();
  });
  window.addEventListener("hashchange", () => render());
  window.addEventListener("beforeinstallprompt", offerInstall);
  window.addEventListener("appinstalled", () => {
    ctx.install.event = null;
    refreshMore();
  });
  document.addEventListener("visibilitychange", () => document.hidden && markSeen());
  window.addEventListener("online", () => sync.publish());
  storageWarning();
  renderIndicator();
  // A returning rep sees their data at once; who is signed in is checked in the background.
  ctx.me = await getMeta("me", null);
  const checked = whoAmI().then((me) => {
    const changed = me && me.id !== ctx.me?.id;
    ctx.me = me || ctx.me;
    return changed;
  });
  // A fresh phone has nothing to clear for another user: its first sync (today's route
  // first) runs alongside the question of who is signed in, one slow round trip sooner.
  const fresh = !ctx.me && !(await counts()).pending;
  if (fresh) sync.start(window);
  if (!ctx.me) await checked;
  else checked.then((changed) => changed && render());
  if (ctx.revoked) {
    document.documentElement.dataset.ready = "1";
    return;
  }
  const lastSeenAt = await getMeta("last_seen_at", null); // before this start marks its own
  await render();
  await openVisitPrompt(lastSeenAt);
  await registerWorker(sync);
  // Otherwise sync only once we know whose phone this is (a new user's pull starts from zero).
  await checked;
  if (!fresh && !ctx.revoked) sync.start(window);
  document.documentElement.dataset.ready = "1";
}

boot();
