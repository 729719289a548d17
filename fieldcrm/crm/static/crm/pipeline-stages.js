// The pipeline page: stages are dragged by their handle (SortableJS, served by us as
// window.Sortable); on drop the whole order is sent at once as repeated "stage" ids through
// a plain form, so the server renumbers every stage in one transaction and the page reloads
// showing what was saved. Without script (or for the keyboard) each stage's up/down buttons
// do the same one step at a time.
(function () {
  "use strict";

  function start() {
    var list = document.getElementById("stages");
    var form = document.getElementById("stage-order-form");
    if (!list || !form || !window.Sortable) return;
    list.querySelectorAll(".crm-handle").forEach(function (h) { h.hidden = false; });
    window.Sortable.create(list, {
      handle: ".crm-handle",
      draggable: ".crm-stage",
      onEnd: function (evt) {
        if (evt.oldIndex === evt.newIndex) return;
        form.querySelectorAll("input[name=stage]").forEach(function (i) { i.remove(); });
        list.querySelectorAll(".crm-stage").forEach(function (row) {
          var input = document.createElement("input");
          input.type = "hidden";
          input.name = "stage";
          input.value = row.dataset.stageId;
          form.appendChild(input);
        });
        form.submit();
      },
    });
    list.dataset.ready = "1";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
