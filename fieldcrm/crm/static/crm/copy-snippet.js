// The web form's page: a "Copy" button beside each snippet (shown only with script; without
// it the read-only text is selected and copied by hand). The clipboard needs a secure
// context: elsewhere the text is selected so Ctrl/Cmd+C finishes the job.
(function () {
  "use strict";

  function start() {
    document.querySelectorAll("button.crm-copy").forEach(function (button) {
      var text = document.getElementById(button.dataset.copy);
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        text.select();
        if (!navigator.clipboard) return;
        navigator.clipboard.writeText(text.value).then(function () {
          button.textContent = button.dataset.done;
          setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
