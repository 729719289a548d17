// /manager/map: the area drawn on the map (iframe) lists, exports and assigns its accounts.
// A file, not an inline script: the Content-Security-Policy runs no inline script.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var area = null;
  var countEl = document.getElementById("selection-count");
  var listEl = document.getElementById("selection-list");
  var actions = document.getElementById("selection-actions");
  var message = document.getElementById("selection-message");
  var frame = document.getElementById("map-frame");

  function say(text, kind) { message.textContent = text || ""; message.dataset.kind = kind || ""; }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": cfg.csrf},
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { return {ok: r.ok, body: j}; });
    });
  }
  function detail(body) {
    return (body && body.detail && body.detail[0] && body.detail[0].msg) || cfg.strings.failed;
  }
  function show(result) {
    listEl.replaceChildren();
    if (!result.ok) { countEl.textContent = ""; actions.hidden = true; say(detail(result.body), "error"); return; }
    var data = result.body;
    countEl.textContent = fmt(cfg.strings.count, {count: data.count});
    data.accounts.forEach(function (a) {
      var li = document.createElement("li"), name = document.createElement("span");
      name.dir = "auto"; name.textContent = a.name;
      li.appendChild(name);
      var extra = [cfg.statuses[a.status] || a.status, a.territory, a.owner].filter(Boolean);
      li.appendChild(document.createTextNode(" · " + extra.join(" · ")));
      listEl.appendChild(li);
    });
    if (data.truncated) { say(fmt(cfg.strings.truncated, {limit: cfg.limit})); }
    actions.hidden = data.count === 0;
  }
  function refresh() {
    say("");
    if (!area) {
      listEl.replaceChildren(); actions.hidden = true;
      countEl.textContent = cfg.strings.hint; return Promise.resolve();
    }
    countEl.textContent = cfg.strings.loading;
    return post(cfg.selectionUrl, {area: area}).then(show, function () { say(cfg.strings.failed, "error"); });
  }
  // The map's draw hook (maps/controls.py DrawHook) calls this from the same-origin iframe.
  window.fieldcrmOnDraw = function (feature) {
    area = feature ? feature.geometry : null;
    refresh();
  };
  document.getElementById("selection-export").addEventListener("submit", function (e) {
    if (!area) { e.preventDefault(); return; }
    e.target.elements.area.value = JSON.stringify(area);
  });
  document.getElementById("selection-assign").addEventListener("submit", function (e) {
    e.preventDefault();
    var owner = e.target.elements.owner_id.value;
    if (!area || !owner) { return; }
    post(cfg.assignUrl, {area: area, owner_id: owner}).then(function (result) {
      if (!result.ok) { say(detail(result.body), "error"); return; }
      var done = fmt(cfg.strings.assigned, {count: result.body.assigned});
      // The map shows owners in popups and colours: reload it, keeping the selection list.
      frame.contentWindow.location.reload();
      refresh().then(function () { say(done); });
    }, function () { say(cfg.strings.failed, "error"); });
  });
})();
