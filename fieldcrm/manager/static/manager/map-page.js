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
    if (body && typeof body.detail === "string") { return body.detail; }
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
  // Assign: preview (count, names, warnings, refusals) → confirm → apply → notice with Undo.
  // Every name is set with textContent (never HTML); the dialog is a <dialog>, no inline code.
  var dialog = document.getElementById("bulk-confirm");
  var dialogBody = document.getElementById("bulk-confirm-body");
  var applyButton = document.getElementById("bulk-apply");
  var notice = document.getElementById("bulk-notice");
  var noticeText = document.getElementById("bulk-notice-text");
  var noticeList = document.getElementById("bulk-notice-list");
  var undoButton = document.getElementById("bulk-undo");
  var pending = null;
  var lastChange = cfg.lastChange;

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }
  function named(name) { var span = el("bdi", name); return span; }
  function section(head, rows, render) {
    if (!rows.length) { return; }
    dialogBody.appendChild(el("p", head));
    var ul = el("ul");
    rows.forEach(function (row) { ul.appendChild(render(row)); });
    dialogBody.appendChild(ul);
  }
  function confirmChange(preview) {
    dialogBody.replaceChildren();
    var title = document.getElementById("bulk-confirm-title");
    title.textContent = preview.count
      ? fmt(cfg.strings.confirmTitle, {count: preview.count, owner: preview.value_display})
      : cfg.strings.nothing;
    var warnings = [];
    preview.changes.forEach(function (c) {
      c.warnings.forEach(function (w) { if (warnings.indexOf(w) < 0) { warnings.push(w); } });
    });
    var warned = preview.changes.filter(function (c) { return c.warnings.length; }).length;
    section(fmt(cfg.strings.warningsHead, {count: warned}), warnings, function (w) {
      return el("li", w, "bulk-warning");
    });
    section(cfg.strings.changesHead, preview.changes, function (c) {
      var li = el("li");
      li.appendChild(named(c.name));
      li.appendChild(document.createTextNode(" · " + fmt(cfg.strings.fromTo,
        {from: c.from_display, to: preview.value_display})));
      c.warnings.forEach(function (w) { li.appendChild(el("div", w, "bulk-warning")); });
      return li;
    });
    section(fmt(cfg.strings.refusedHead, {count: preview.refused.length}), preview.refused,
      function (r) {
        var li = el("li"); li.appendChild(named(r.name));
        li.appendChild(el("div", r.reason, "bulk-refused")); return li;
      });
    if (preview.unchanged.length) {
      dialogBody.appendChild(el("p", fmt(cfg.strings.unchanged,
        {owner: preview.value_display, count: preview.unchanged.length})));
    }
    applyButton.hidden = !preview.count;
    pending = preview;
    // Esc keeps the last returnValue: clear it, or a dialog dismissed after an Apply applies.
    dialog.returnValue = "";
    dialog.showModal();
  }
  function showNotice(text, skipped) {
    noticeText.textContent = text;
    noticeList.replaceChildren();
    (skipped || []).forEach(function (s) {
      var li = el("li"); li.appendChild(named(s.name));
      li.appendChild(document.createTextNode(" · " + s.reason)); noticeList.appendChild(li);
    });
    undoButton.hidden = !lastChange;
    notice.hidden = false;
  }
  function changed() {
    // The map shows owners in popups and colours: reload it, keeping the selection list.
    frame.contentWindow.location.reload();
    return area ? refresh() : Promise.resolve();
  }
  document.getElementById("selection-assign").addEventListener("submit", function (e) {
    e.preventDefault();
    var owner = e.target.elements.owner_id.value;
    if (!area || !owner) { return; }
    say("");
    post(cfg.previewUrl, {area: area, owner_id: owner}).then(function (result) {
      if (!result.ok) { say(detail(result.body), "error"); return; }
      confirmChange(result.body);
    }, function () { say(cfg.strings.failed, "error"); });
  });
  dialog.addEventListener("close", function () {
    var preview = pending;
    pending = null;
    if (dialog.returnValue !== "apply" || !preview || !preview.count) { return; }
    var body = {field: preview.field, value: preview.value, account_ids: preview.account_ids};
    post(cfg.applyUrl, body).then(function (result) {
      if (!result.ok) { say(detail(result.body), "error"); return; }
      lastChange = result.body;
      var text = fmt(cfg.strings.assigned, {count: lastChange.count, owner: lastChange.value_display});
      changed().then(function () { showNotice(text, lastChange.refused); });
    }, function () { say(cfg.strings.failed, "error"); });
  });
  undoButton.addEventListener("click", function () {
    if (!lastChange) { return; }
    undoButton.disabled = true;
    post(cfg.undoUrl, {id: lastChange.id}).then(function (result) {
      undoButton.disabled = false;
      if (!result.ok) { say(detail(result.body), "error"); return; }
      lastChange = null;
      var undone = result.body;
      var text = fmt(cfg.strings.undoneField, {count: undone.restored, field: undone.field_label});
      var skipped = undone.undo_skipped;
      if (skipped.length) { text += " " + fmt(cfg.strings.skipped, {count: skipped.length}); }
      changed().then(function () { showNotice(text, skipped); });
    }, function () { undoButton.disabled = false; say(cfg.strings.failed, "error"); });
  });
  if (lastChange) {
    showNotice(fmt(cfg.strings.lastChange, {field: lastChange.field_label,
      count: lastChange.count, value: lastChange.value_display}), []);
  }
})();
