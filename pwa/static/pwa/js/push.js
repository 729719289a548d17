// Web Push on this device: ask for permission, subscribe with the server's VAPID key, and
// hand the subscription to the server (POST /api/v1/push/subscriptions); off unsubscribes
// and tells the server (DELETE). The service worker shows what arrives (serviceworker.js).

/**
 * The server's key (base64url) as the bytes PushManager.subscribe wants.
 * @param {string} key
 * @returns {Uint8Array}
 */
export function keyBytes(key) {
  const base64 = key.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (key.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** @returns {boolean} */
export function pushSupported(g = globalThis) {
  return Boolean(g.navigator?.serviceWorker && g.PushManager && g.Notification);
}

async function registration(g) {
  return g.navigator.serviceWorker.getRegistration("/app/");
}

/**
 * Where this device stands: unsupported, denied (the user blocked notifications), on, off.
 * @returns {Promise<"unsupported"|"denied"|"on"|"off">}
 */
export async function pushState(g = globalThis) {
  if (!pushSupported(g)) return "unsupported";
  if (g.Notification.permission === "denied") return "denied";
  const reg = await registration(g);
  const subscription = reg ? await reg.pushManager.getSubscription() : null;
  return subscription && g.Notification.permission === "granted" ? "on" : "off";
}

/**
 * Turn push on: permission, subscription, the server told. The answer names what failed.
 * @param {{request: Function}} api
 * @returns {Promise<{ok: boolean, reason?: string}>}
 */
export async function enablePush(api, g = globalThis) {
  if (!pushSupported(g)) return { ok: false, reason: "unsupported" };
  const permission = await g.Notification.requestPermission();
  if (permission !== "granted") return { ok: false, reason: "denied" };
  const key = await api.request("push/key");
  if (key.kind !== "ok") return { ok: false, reason: "offline" };
  const reg = await registration(g);
  if (!reg) return { ok: false, reason: "unsupported" };
  let subscription;
  try {
    subscription =
      (await reg.pushManager.getSubscription()) ||
      (await reg.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(key.data.public_key),
      }));
  } catch {
    // The browser's push service is unreachable or refused us.
    return { ok: false, reason: "push_service" };
  }
  const saved = await api.request("push/subscriptions", { method: "POST", body: subscription.toJSON() });
  return saved.kind === "ok" ? { ok: true } : { ok: false, reason: "offline" };
}

/**
 * Turn push off on this device (the server is told first, so it stops sending at once).
 * @param {{request: Function}} api
 */
export async function disablePush(api, g = globalThis) {
  const reg = pushSupported(g) ? await registration(g) : null;
  const subscription = reg ? await reg.pushManager.getSubscription() : null;
  if (!subscription) return { ok: true };
  const gone = await api.request("push/subscriptions", {
    method: "DELETE",
    body: { endpoint: subscription.endpoint },
  });
  // 404: the server had dropped it already (the push service said it expired).
  if (gone.kind !== "ok" && gone.status !== 404) return { ok: false, reason: "offline" };
  await subscription.unsubscribe();
  return { ok: true };
}
