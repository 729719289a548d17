import assert from "node:assert/strict";
import { test } from "node:test";

import { disablePush, enablePush, keyBytes, pushState } from "../static/pwa/js/push.js";

// Node has no PushManager: a browser-shaped stand-in records what the module asks of it.
function browser({ permission = "default", grant = "granted", subscribed = null } = {}) {
  const calls = [];
  let subscription = subscribed;
  const make = (options) => ({
    endpoint: "https://push.example/1",
    options,
    toJSON: () => ({ endpoint: "https://push.example/1", keys: { p256dh: "P", auth: "A" } }),
    unsubscribe: async () => { calls.push("unsubscribe"); subscription = null; return true; },
  }); // prettier-ignore
  if (subscription === true) subscription = make({});
  const pushManager = {
    getSubscription: async () => subscription,
    subscribe: async (options) => (subscription = make(options)),
  };
  const g = {
    PushManager: class {},
    Notification: {
      permission,
      requestPermission: async () => { g.Notification.permission = grant; return grant; },
    }, // prettier-ignore
    navigator: { serviceWorker: { getRegistration: async () => ({ pushManager }) } },
  };
  const api = {
    request: async (path, options = {}) => {
      calls.push([options.method || "GET", path, options.body]);
      return path === "push/key" ? { kind: "ok", data: { public_key: "BAEC" } } : { kind: "ok", status: 201 };
    },
  };
  return { g, api, calls, current: () => subscription };
}

test("the server's base64url key becomes the bytes PushManager wants", () => {
  assert.deepEqual([...keyBytes("BAEC")], [4, 1, 2]);
  assert.deepEqual([...keyBytes("-_8")], [251, 255]);
});

test("turning push on asks permission, subscribes with the server key and tells the server", async () => {
  const { g, api, calls, current } = browser();
  assert.equal(await pushState(g), "off");
  assert.deepEqual(await enablePush(api, g), { ok: true });
  assert.equal(current().options.userVisibleOnly, true);
  assert.deepEqual([...current().options.applicationServerKey], [4, 1, 2]);
  assert.deepEqual(calls.at(-1), ["POST", "push/subscriptions", { endpoint: "https://push.example/1", keys: { p256dh: "P", auth: "A" } }]);
  assert.equal(await pushState(g), "on");
});

test("a refused permission subscribes nothing; blocked is shown as such", async () => {
  const { g, api, calls } = browser({ grant: "denied" });
  assert.deepEqual(await enablePush(api, g), { ok: false, reason: "denied" });
  assert.deepEqual(calls, []);
  assert.equal(await pushState(g), "denied");
  assert.equal(await pushState({ navigator: {} }), "unsupported");
});

test("turning push off tells the server first, then unsubscribes", async () => {
  const { g, api, calls } = browser({ permission: "granted", subscribed: true });
  assert.equal(await pushState(g), "on");
  assert.deepEqual(await disablePush(api, g), { ok: true });
  assert.deepEqual(calls, [["DELETE", "push/subscriptions", { endpoint: "https://push.example/1" }], "unsubscribe"]);
  assert.equal(await pushState(g), "off");
});
