// The admin's change pages, accessible names (issue 21): Django's filter boxes (SelectFilter2.js,
// a many-to-many field's "filter_horizontal") put an aria-label on a plain <span> icon, which
// ARIA does not allow; as an image, the icon's text names it. The boxes are built on the
// window's load, after this file runs: each added icon is fixed as it appears.
"use strict";
(function () {
  function fix(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) {
        if (node.parentNode) fix(node.parentNode);
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
