// The one fetch wrapper: session cookie + CSRF header, JSON both ways, and every answer
// classified so the sync loop never has to read status codes.

/**
 * What an HTTP answer means for the outbox.
 * ok: read the body (per-item results decide); auth: log in again (transient, keeps items);
 * revoked: an administrator revoked this user's access (the phone wipes its data);
 * transient: retry later (5xx, 408, 429, network); rejected: this request will never succeed;
 * epoch: the server was restored from a backup (a push naming the old epoch applied nothing).
 * Only a 401 whose body says `"code": "revoked"` is "revoked": an expired or ended session,
 * a proxy's page without that body, anything else, keeps the outbox for the next login.
 * @param {number} status 0 for a network error
 * @param {*} [data] the parsed body
 * @returns {"ok"|"auth"|"revoked"|"transient"|"rejected"}
 */
export function classify(status, data = null) {
  if (status >= 200 && status < 300) return "ok";
  if (status === 401 && data?.code === "revoked") return "revoked";
  if (status === 409 && data?.code === "epoch_changed") return "epoch";
  if (status === 401 || status === 403) return "auth";
  if (status === 0 || status === 408 || status === 425 || status === 429 || status >= 500) {
    return "transient";
  }
  return "rejected";
}

/**
 * @param {string} name
 * @param {string} [cookies]
 * @returns {string|null}
 */
export function readCookie(name, cookies = globalThis.document?.cookie || "") {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/**
 * Make an API client.
 * @param {{base?: string, fetchImpl?: typeof fetch, cookies?: () => string}} [options]
 */
export function createApi({
  base = "/api/v1",
  fetchImpl = (...args) => globalThis.fetch(...args),
  cookies = () => globalThis.document?.cookie || "",
} = {}) {
  async function csrfToken(refresh = false) {
    let token = readCookie("csrftoken", cookies());
    if (!token || refresh) {
      await fetchImpl(`${base}/auth/csrf`, { credentials: "same-origin" });
      token = readCookie("csrftoken", cookies());
    }
    return token;
  }

  /**
   * @param {string} path below /api/v1
   * @param {{method?: string, body?: *, raw?: {body: Blob, type: string, headers?: object}}} [options]
   *   raw: send these bytes as they are (a photo's part) rather than JSON
   * @returns {Promise<{kind: string, status: number, data: *}>}
   */
  async function request(path, { method = "GET", body, raw } = {}, retried = false) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      headers["Content-Type"] = raw ? raw.type : "application/json";
      headers["X-CSRFToken"] = (await csrfToken()) || "";
      init.body = raw ? raw.body : JSON.stringify(body ?? {});
      Object.assign(headers, raw?.headers || {});
    }
    let response;
    try {
      response = await fetchImpl(`${base}/${path}`, init);
    } catch (error) {
      return { kind: "transient", status: 0, data: null, error: String(error) };
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      // An empty or non-JSON body (a proxy's error page) carries nothing we can use.
    }
    const kind = classify(response.status, data);
    // A 403 on a write is usually a rotated CSRF cookie (a new login): fetch it once more.
    if (response.status === 403 && method !== "GET" && !retried) {
      await csrfToken(true);
      return request(path, { method, body, raw }, true);
    }
    // A 2xx without a body is not an answer to the items: treat it as lost.
    if (kind === "ok" && method === "POST" && path === "sync/push" && !data?.results) {
      return { kind: "transient", status: response.status, data };
    }
    return { kind, status: response.status, data };
  }

  return {
    request,
    /** @returns {Promise<object>} the signed-in user */
    me: () => request("auth/me"),
    /**
     * @param {number} cursor
     * @param {number} [limit]
     * @param {number|null} [tombstonesSince]
     * @param {string|null} [epoch] the epoch the cursor counts in (none: a phone that knows none)
     */
    // Big pages: on a slow link each page costs a round trip (2 s on "slow 3G").
    pull: (cursor, limit = 2000, tombstonesSince = null, epoch = null) =>
      request(
        `sync/pull?cursor=${cursor}&limit=${limit}` +
          (tombstonesSince === null ? "" : `&tombstones_since=${tombstonesSince}`) +
          (epoch ? `&epoch=${encodeURIComponent(epoch)}` : ""),
      ),
    /** A fresh install's head start: today's route, its accounts, open tasks. */
    today: () => request("sync/today"),
    /**
     * @param {string} deviceId
     * @param {object[]} mutations
     * @param {string|null} [epoch] the epoch the phone knows
     */
    push: (deviceId, mutations, epoch = null) =>
      request("sync/push", {
        method: "POST",
        body: { device_id: deviceId, mutations, ...(epoch ? { epoch } : {}) },
      }),
    logout: () => request("auth/logout", { method: "POST" }),
    /** A visit photo's resumable upload (photos.js): start it, ask its offset, send a part. */
    photos: {
      start: (fields) => request("photos", { method: "POST", body: fields }),
      offset: (uploadId) => request(`photos/${uploadId}`),
      part: (uploadId, offset, blob) =>
        request(`photos/${uploadId}`, {
          method: "PATCH",
          raw: { body: blob, type: "application/offset+octet-stream", headers: { "Upload-Offset": String(offset) } },
        }),
    },
  };
}
