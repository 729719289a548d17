// FieldCRM's service worker: a classic worker (django-pwa serves it at /serviceworker.js).
// The worker caches; the page syncs (STYLE.md 2.6). It never queues a POST: Workbox's
// background-sync queue counts a 5xx as delivered and drops entries after 7 days, so the
// IndexedDB outbox (pwa/static/pwa/js/outbox.js) is the only record of unsent work.

importScripts("/static/vendor/workbox/workbox-sw.js");
workbox.setConfig({ modulePathPrefix: "/static/vendor/workbox/", debug: false });
// The precache list, rendered by Django from the static files (fieldcrm/phone/views.py);
// revisions are content hashes, so no build step injects a manifest here.
importScripts("/app/precache.js");

const { precaching, routing, strategies, expiration, cacheableResponse, core } = workbox;

core.setCacheNameDetails({ prefix: "fieldcrm" });
core.clientsClaim();
self.skipWaiting();

precaching.precacheAndRoute(self.FIELDCRM_PRECACHE || [], {
  // /static/... and /app/ are keyed without their query strings.
  ignoreURLParametersMatching: [/.*/],
});
precaching.cleanupOutdatedCaches();

// Any navigation inside the app opens the precached shell: offline, reloads included. The
// shell asks /api/v1/auth/me when online and sends a signed-out rep to the login page.
routing.registerRoute(
  new routing.NavigationRoute(precaching.createHandlerBoundToURL("/app/"), {
    allowlist: [/^\/app\/?$/],
  }),
);

// API reads worth having offline that the phone does not sync (deals on the account card):
// network first, the last answer when there is no network.
routing.registerRoute(
  ({ url, request }) =>
    request.method === "GET" &&
    url.origin === self.location.origin &&
    /^\/api\/v1\/(deals|accounts\/[^/]+\/activities)/.test(url.pathname),
  new strategies.NetworkFirst({
    cacheName: "fieldcrm-api",
    networkTimeoutSeconds: 6,
    plugins: [
      new cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
      new expiration.ExpirationPlugin({ maxEntries: 200, maxAgeSeconds: 7 * 24 * 3600 }),
    ],
  }),
);

// Map tiles (the app's own vector tiles, or the configured server's): cache first, bounded,
// so today's area stays drawn. A tile is a URL the template matches ({z} etc. = one segment).
const tileUrl = self.FIELDCRM_TILE_URL || "";
if (tileUrl) {
  const absolute = tileUrl.startsWith("/") ? self.location.origin + tileUrl : tileUrl;
  const escaped = absolute.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
  const tilePattern = new RegExp(`^${escaped.replace(/\{[a-z]\}/g, "[^/.]+")}$`);
  const seen = new strategies.CacheFirst({
    cacheName: "fieldcrm-tiles",
    plugins: [
      // 204: our own server's empty tile (outside the extracts), kept like any other.
      new cacheableResponse.CacheableResponsePlugin({ statuses: [0, 200, 204] }),
      new expiration.ExpirationPlugin({ maxEntries: 500, maxAgeSeconds: 30 * 24 * 3600 }),
    ],
  });
  // The rep's area, kept by the page (js/tile-pack.js), first; then the tiles seen online.
  routing.registerRoute(
    ({ url }) => tilePattern.test(url.href),
    async (options) => (await caches.match(options.request, { cacheName: "fieldcrm-tiles-area" })) || seen.handle(options),
  );
}

// Background Sync (Chromium only) is a nudge: tell open pages to flush their outbox. With no
// page open there is nothing to do; the outbox waits for the next app start.
self.addEventListener("sync", (event) => {
  if (event.tag !== "fieldcrm-outbox") return;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((clients) => {
      for (const client of clients) client.postMessage({ type: "flush" });
    }),
  );
});

// Web Push (fieldcrm/notifications/push.py): the server renders the text in the user's
// language and sends the notification's id, which is the tag here, so a copy the server had
// to send again (a worker killed after the hand-off) replaces the shown one instead of
// ringing twice. A push that cannot be read still shows something: Chromium counts a push
// without a notification against the site.
self.addEventListener("push", (event) => {
  let message;
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = {};
  }
  const title = message.title || "FieldCRM";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: message.body || "",
      tag: message.id || undefined,
      lang: message.lang || "",
      dir: message.dir || "auto",
      icon: "/static/pwa/icons/icon-192.png",
      badge: "/static/pwa/icons/icon-192.png",
      data: { url: message.url || "/app/", id: message.id || null },
    }),
  );
});

/**
 * Open a notification's record: an open window of the app goes there, else a new one.
 * Only paths of this site are followed (the payload is the server's, but a URL is a URL).
 * @param {string} path
 */
async function openRecord(path) {
  const url = new URL(path || "/app/", self.location.origin);
  const target = url.origin === self.location.origin ? url.href : `${self.location.origin}/app/`;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const app = windows.find((client) => new URL(client.url).pathname.startsWith("/app"));
  if (app) {
    const moved = (await app.navigate(target)) || app;
    // Focus needs the click's user activation; without it (a test) the window still moved.
    await moved.focus().catch(() => null);
    return moved;
  }
  return self.clients.openWindow(target);
}
// Chromium has no DevTools command that clicks a shown notification: the browser test calls
// this, the same function the click runs.
self.fieldcrmOpenRecord = openRecord;

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openRecord(event.notification.data?.url));
});
