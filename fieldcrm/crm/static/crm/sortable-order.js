// Lists ordered by dragging (a pipeline's stages, the lost reasons): each row is dragged by
// its handle (SortableJS, served by us as window.Sortable); on drop the whole order is sent
// at once through a plain form (the list's data-order-form) as repeated inputs named by its
// data-order-name, so the server renumbers every row in one transaction and the page reloads
// showing what was saved. Without script (or for the keyboard) each row's up/down buttons do
// the same one step at a time.
(function () {
  "use strict";

  function start(list) {
    var form = document.getElementById(list.dataset.orderForm);
    if (!form || !window.Sortable) return;
    list.querySelectorAll(".crm-handle").forEach(function (h) { h.hidden = false; });
    window.Sortable.create(list, {
      handle: ".crm-handle",
      draggable: "[data-order-id]",
      onEnd: function (evt) {
        if (evt.oldIndex === evt.newIndex) return;
        list.querySelectorAll("[data-order-id]").forEach(function (row) {
          var input = document.createElement("input");
          input.type = "hidden";
          input.name = list.dataset.orderName;
          input.value = row.dataset.orderId;
          form.appendChild(input);
        });
        form.submit();
      },
    });
    list.dataset.ready = "1";
  }

  function startAll() {
    document.querySelectorAll("[data-order-form]").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
