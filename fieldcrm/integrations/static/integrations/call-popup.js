// The incoming-call popup on every workspace page. The bell does not refresh itself, so this
// polls the caller's own unread notifications (every 15 s, and at once when the tab comes back
// into view), keeps the bell's count current, and shows a toast for each new incoming call,
// linking to the account's workspace page. Text goes in with textContent: nothing is parsed.

const POLL_MS = 15_000;
// A call notification older than this is history, not a phone ringing now.
const FRESH_MS = 2 * 60_000;
const SEEN_KEY = "fieldcrm.call-popups";

const root = document.getElementById("call-toasts");

function seen() {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(SEEN_KEY) || "[]"));
  } catch {
    return new Set();
  }
}

function remember(ids) {
  sessionStorage.setItem(SEEN_KEY, JSON.stringify([...ids].slice(-50)));
}

function updateBell(unread) {
  const count = document.getElementById("bell-count");
  if (!count) return;
  count.textContent = String(unread);
  count.classList.toggle("zero", unread === 0);
  document.getElementById("bell")?.setAttribute("data-unread", String(unread));
}

function toast(notification) {
  const box = document.createElement("div");
  box.className = "call-toast";
  box.setAttribute("role", "alert");
  box.dataset.notification = notification.id;
  const text = document.createElement("div");
  const title = document.createElement("p");
  title.className = "title";
  title.textContent = notification.title;
  text.append(title);
  if (notification.body) {
    const body = document.createElement("p");
    body.textContent = notification.body;
    text.append(body);
  }
  const link = document.createElement("a");
  link.href = root.dataset.accountUrl.replace("00000000-0000-0000-0000-000000000000", notification.record_id);
  link.className = "call-account";
  link.textContent = root.dataset.open;
  const paragraph = document.createElement("p");
  paragraph.append(link);
  text.append(paragraph);
  const close = document.createElement("button");
  close.type = "button";
  close.className = "secondary";
  close.textContent = root.dataset.close;
  close.addEventListener("click", () => box.remove());
  box.append(text, close);
  root.append(box);
}

async function poll() {
  let answer;
  try {
    answer = await fetch("/api/v1/notifications?unread=true", { credentials: "same-origin" });
  } catch {
    return; // offline or the server restarting: the next round tries again
  }
  if (!answer.ok) return;
  const page = await answer.json();
  updateBell(page.count ?? page.items.length);
  const shown = seen();
  const now = Date.now();
  for (const n of page.items) {
    const fresh = now - Date.parse(n.created_at) < FRESH_MS;
    if (n.kind === "incoming_call" && n.record_id && fresh && !shown.has(n.id)) {
      toast(n);
      shown.add(n.id);
    }
  }
  remember(shown);
}

if (root) {
  poll();
  setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") poll();
  });
  window.addEventListener("focus", poll);
}
