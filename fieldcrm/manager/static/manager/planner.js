// /planner/: generate, watch, pin, move and publish route plans through the JSON API.
// A file, not an inline script: the Content-Security-Policy runs no inline script.
(() => {
  const cfg = JSON.parse(document.getElementById("pl-config").textContent);
  const $ = (id) => document.getElementById(id);
  const progress = $("pl-progress"), message = $("pl-message");
  const fmt = (s, values) => s.replace(/%\((\w+)\)s/g, (_m, k) => values[k] ?? "");
  async function call(method, path, body) {
    const response = await fetch(cfg.api + path, {
      method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": cfg.csrf},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return {status: response.status, data};
  }
  function detail(data) {
    if (Array.isArray(data.detail)) return data.detail.map((d) => d.msg).join(" ");
    return data.detail || cfg.strings.error;
  }
  // After a job, the page shows the day that job planned (the field may differ from the
  // day the page was loaded with: issue 14).
  const dayPage = (regionId, date) => `?region=${regionId}&date=${date}`;
  async function poll(jobId, date, regionId = cfg.regionId) {
    progress.hidden = false;
    for (;;) {
      const {status, data} = await call("GET", `plans/jobs/${jobId}`);
      if (status !== 200) { message.textContent = detail(data); return; }
      progress.value = data.progress;
      message.textContent = data.message || cfg.strings.queued;
      if (data.status === "done") { location.assign(dayPage(regionId, date)); return; }
      if (data.status === "failed") { message.textContent = fmt(cfg.strings.failed, data); return; }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  async function act(method, path, body) {
    const {status, data} = await call(method, path, body);
    if (status >= 400) { message.textContent = detail(data); return false; }
    return data;
  }
  $("pl-generate")?.addEventListener("click", async (event) => {
    event.target.disabled = true;
    // The bar shows the progress the job reports (0 until its first report), never a guess.
    progress.hidden = false; progress.value = 0; message.textContent = cfg.strings.planning;
    // The region and date shown, not the ones the page was loaded with.
    const date = $("pl-date").value || cfg.date, regionId = Number($("pl-region").value) || cfg.regionId;
    const body = {region_id: regionId, date, horizon_days: Number($("pl-days").value),
                  time_limit_s: Number($("pl-limit").value)};
    const {status, data} = await call("POST", "plans/generate", body);
    event.target.disabled = false;
    if (status === 409) { message.textContent = fmt(cfg.strings.busy, {id: data.job_id}); if (data.job_id) poll(data.job_id, date, regionId); return; }
    if (status !== 202) { progress.hidden = true; message.textContent = detail(data); return; }
    poll(data.id, date, regionId);
  });
  $("pl-reoptimise")?.addEventListener("click", async () => {
    if (await act("POST", "plans/reoptimise", {region_id: cfg.regionId, date: cfg.date})) location.reload();
  });
  async function publish(ids) {
    const ask = ids.length === 1 ? cfg.strings.confirmPublishOne : fmt(cfg.strings.confirmPublishMany, {n: ids.length});
    if (!ids.length || !confirm(ask)) return;
    for (const id of ids) { if (!(await act("POST", `plans/${id}/publish`))) return; }
    location.reload();
  }
  $("pl-publish-all")?.addEventListener("click", () =>
    publish([...document.querySelectorAll("[data-publish]")].map((b) => b.dataset.publish)));
  document.querySelectorAll("[data-publish]").forEach((b) =>
    b.addEventListener("click", () => publish([b.dataset.publish])));
  document.querySelectorAll("[data-unpublish]").forEach((b) => b.addEventListener("click", async () => {
    if (!confirm(fmt(cfg.strings.confirmUnpublish, {rep: b.dataset.rep}))) return;
    if (await act("POST", `plans/${b.dataset.unpublish}/unpublish`)) location.reload();
  }));
  document.querySelectorAll("[data-pin]").forEach((box) =>
    box.addEventListener("change", () => act("POST", `plans/stops/${box.dataset.pin}/pin`, {pinned: box.checked})));
  document.querySelectorAll("[data-move]").forEach((b) => b.addEventListener("click", async () => {
    const id = b.dataset.move;
    const body = {plan_id: Number(document.querySelector(`[data-move-target="${id}"]`).value),
                  position: Number(document.querySelector(`[data-move-position="${id}"]`).value)};
    if (await act("POST", `plans/stops/${id}/move`, body)) location.reload();
  }));
  if (cfg.job) poll(cfg.job, cfg.date);
})();
