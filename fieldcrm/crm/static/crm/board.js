// The deal board's drag and drop: SortableJS (served by us, window.Sortable) moves a card
// between columns, then this fills the card's own move form with the new stage and sends it.
// The form is the whole protocol (CSRF, the copy the card was based on, the redirect back),
// so the board works without this file, and a stale card comes back as it now is.
(function () {
  "use strict";

  function start() {
    var lists = document.querySelectorAll(".crm-board-cards");
    if (!window.Sortable || !lists.length) return;
    lists.forEach(function (list) {
      window.Sortable.create(list, {
        group: "deals",
        draggable: ".crm-deal",
        filter: "select, button, input, a",
        preventOnFilter: false,
        onEnd: function (event) {
          if (event.from === event.to) return;
          var form = event.item.querySelector("form.deal-move");
          form.querySelector("select[name=stage]").value = event.to.dataset.stage;
          document.getElementById("crm-board").setAttribute("aria-busy", "true");
          form.submit();
        },
      });
    });
    document.getElementById("crm-board").dataset.ready = "1";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
