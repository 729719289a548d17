// The manager pages' "Log out" link posts the hidden form (Django logs out on POST only).
// A listener, not an onclick attribute: the Content-Security-Policy runs no inline script.
document.getElementById("mgr-logout-link").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("mgr-logout").submit();
});
