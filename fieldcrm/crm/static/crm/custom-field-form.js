// The custom-field form: only the chosen kind's inputs show (the range for a number, the
// choice rows for a choice), and the choice rows can be added, removed and reordered, by
// dragging (SortableJS, served by us as window.Sortable) or with the up/down buttons (the
// keyboard's way). The rows are plain inputs named "choices" sent in page order, so the form
// works without this file (a few empty rows are drawn for new choices).
(function () {
  "use strict";

  function renumber(list) {
    var label = list.dataset.label;
    list.querySelectorAll(".cf-choice").forEach(function (row, i) {
      row.querySelector("input").setAttribute("aria-label", label + " " + (i + 1));
    });
  }

  function wireRow(list, row) {
    row.querySelectorAll("button").forEach(function (b) { b.hidden = false; });
    row.querySelector(".cf-up").addEventListener("click", function () {
      if (row.previousElementSibling) list.insertBefore(row, row.previousElementSibling);
      renumber(list);
      row.querySelector(".cf-up").focus();
    });
    row.querySelector(".cf-down").addEventListener("click", function () {
      if (row.nextElementSibling) list.insertBefore(row.nextElementSibling, row);
      renumber(list);
      row.querySelector(".cf-down").focus();
    });
    row.querySelector(".cf-remove").addEventListener("click", function () {
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber(list);
      if (next) next.querySelector("input").focus();
    });
  }

  function start(form) {
    var kind = form.querySelector("select[name=kind]");
    var list = form.querySelector(".cf-choices");
    function showKind() {
      form.querySelectorAll(".cf-kind").forEach(function (set) {
        set.hidden = set.dataset.kind !== kind.value;
      });
    }
    kind.addEventListener("change", showKind);
    showKind();
    // Without script a few empty rows wait for new choices; with it, one is enough.
    var template = list.querySelector(".cf-choice").cloneNode(true);
    template.querySelector("input").value = "";
    list.querySelectorAll(".cf-choice").forEach(function (row) {
      if (!row.querySelector("input").value) row.remove();
    });
    function addRow() {
      var row = template.cloneNode(true);
      list.appendChild(row);
      wireRow(list, row);
      renumber(list);
      return row;
    }
    list.querySelectorAll(".cf-choice").forEach(function (row) { wireRow(list, row); });
    addRow();
    var add = form.querySelector("#cf-add-choice");
    add.hidden = false;
    add.addEventListener("click", function () {
      addRow().querySelector("input").focus();
    });
    if (window.Sortable) {
      window.Sortable.create(list, {
        handle: ".cf-handle", draggable: ".cf-choice",
        onEnd: function () { renumber(list); },
      });
    }
    renumber(list);
    form.dataset.ready = "1";
  }

  function startAll() {
    document.querySelectorAll("form.cf-form").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
