import assert from "node:assert/strict";
import { test } from "node:test";

import { classify, createApi, readCookie } from "../static/pwa/js/api.js";

test("classify: only 2xx is an answer; 401/403 ask for login; 5xx, 429, 408, network retry", () => {
  assert.equal(classify(200), "ok");
  assert.equal(classify(204), "ok");
  for (const status of [401, 403]) assert.equal(classify(status), "auth");
  for (const status of [0, 408, 429, 500, 502, 503, 504]) assert.equal(classify(status), "transient");
  for (const status of [400, 404, 422]) assert.equal(classify(status), "rejected");
});

test("only a 401 saying code revoked is revoked; an ended session or a bare 401 is auth", () => {
  assert.equal(classify(401, { detail: "…", code: "revoked" }), "revoked");
  assert.equal(classify(401, { detail: "…", code: "not_authenticated" }), "auth");
  assert.equal(classify(401, null), "auth");
  assert.equal(classify(401, "<html>proxy</html>"), "auth");
  assert.equal(classify(403, { code: "revoked" }), "auth");
});

test("a 409 saying epoch_changed is a restored server; any other 409 is not", () => {
  assert.equal(classify(409, { code: "epoch_changed", epoch: "e2" }), "epoch");
  assert.equal(classify(409, { detail: [] }), "rejected");
});

test("a request answered 401 revoked comes back as kind revoked", async () => {
  const { fetchImpl } = fakeFetch([{ status: 401, body: { detail: "x", code: "revoked" } }]);
  const api = createApi({ fetchImpl, cookies: () => "csrftoken=tok" });
  assert.equal((await api.pull(0)).kind, "revoked");
});

test("readCookie finds the CSRF token among others", () => {
  assert.equal(readCookie("csrftoken", "a=1; csrftoken=abc%3D; b=2"), "abc=");
  assert.equal(readCookie("csrftoken", "a=1"), null);
});

function fakeFetch(script) {
  const calls = [];
  const fetchImpl = async (url, init = {}) => {
    calls.push({ url, init });
    const step = script.shift();
    if (step instanceof Error) throw step;
    return {
      status: step.status,
      json: async () => {
        if (step.body === undefined) throw new SyntaxError("no body");
        return step.body;
      },
    };
  };
  return { fetchImpl, calls };
}

test("writes carry the CSRF header and JSON; a network error is transient", async () => {
  const { fetchImpl, calls } = fakeFetch([{ status: 200, body: { results: [], cursor: 3 } }, new TypeError("offline")]);
  const api = createApi({ fetchImpl, cookies: () => "csrftoken=tok" });
  const first = await api.push("dev", [{ op_id: "1" }]);
  assert.equal(first.kind, "ok");
  assert.equal(calls[0].init.headers["X-CSRFToken"], "tok");
  assert.deepEqual(JSON.parse(calls[0].init.body), { device_id: "dev", mutations: [{ op_id: "1" }] });
  const second = await api.push("dev", []);
  assert.deepEqual([second.kind, second.status], ["transient", 0]);
});

test("a 2xx push without results (a proxy's page) is treated as lost, not as an answer", async () => {
  const { fetchImpl } = fakeFetch([{ status: 200 }]);
  const api = createApi({ fetchImpl, cookies: () => "csrftoken=tok" });
  assert.equal((await api.push("dev", [])).kind, "transient");
});

test("a 403 on a write refreshes the CSRF cookie and retries once", async () => {
  let cookie = "csrftoken=old";
  const { fetchImpl, calls } = fakeFetch([
    { status: 403, body: { detail: "CSRF" } },
    { status: 204 },
    { status: 200, body: { results: [], cursor: 1 } },
  ]);
  const api = createApi({
    fetchImpl: async (url, init) => {
      const response = await fetchImpl(url, init);
      if (url.endsWith("/auth/csrf")) cookie = "csrftoken=new";
      return response;
    },
    cookies: () => cookie,
  });
  const answer = await api.push("dev", []);
  assert.equal(answer.kind, "ok");
  assert.equal(calls[2].init.headers["X-CSRFToken"], "new");
});

test("a 5xx with an HTML body is transient", async () => {
  const { fetchImpl } = fakeFetch([{ status: 502 }]);
  const api = createApi({ fetchImpl, cookies: () => "" });
  assert.equal((await api.pull(0)).kind, "transient");
});
