// The workspace's command palette: Ctrl/Cmd+K (or "/" outside a field) opens a dialog that
// asks /api/v1/search as you type and lists accounts, contacts and deals grouped by kind;
// arrows choose, Enter opens, Esc closes. Without this file the search form in the page still
// works (GET /crm/search/). CSP: a module file, no inline code or style; text goes in with
// textContent, never as HTML.
const DELAY_MS = 150;

/** Whether a key event asks for the palette (Ctrl+K, Cmd+K). */
export function isPaletteKey(event) {
  return (event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k";
}

/** Hits grouped by kind, in the order accounts, contacts, deals. */
export function groupHits(items) {
  const order = ["account", "contact", "deal"];
  return order
    .map((kind) => ({ kind, items: items.filter((item) => item.kind === kind) }))
    .filter((group) => group.items.length);
}

function start() {
  const form = document.getElementById("crm-search");
  const dialog = document.getElementById("crm-palette");
  if (!form || !dialog || typeof dialog.showModal !== "function") return;
  const input = document.getElementById("crm-palette-q");
  const list = document.getElementById("crm-palette-results");
  let timer = 0;
  let asked = 0;
  let options = [];
  let chosen = -1;

  function choose(index) {
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    chosen = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function note(text) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    list.replaceChildren(p);
    options = [];
    choose(-1);
  }

  function show(items) {
    if (!items.length) return note(form.dataset.empty);
    const nodes = [];
    let n = 0;
    for (const group of groupHits(items)) {
      const heading = document.createElement("h3");
      heading.textContent = form.dataset[group.kind] || group.kind;
      heading.setAttribute("role", "presentation");
      nodes.push(heading);
      for (const item of group.items) {
        const option = document.createElement("a");
        option.href = item.url;
        option.id = `crm-palette-${n++}`;
        option.setAttribute("role", "option");
        option.dataset.kind = item.kind;
        const title = document.createElement("bdi");
        title.textContent = item.title;
        option.append(title);
        if (item.detail) {
          const detail = document.createElement("bdi");
          detail.className = "detail";
          detail.textContent = item.detail;
          option.append(detail);
        }
        nodes.push(option);
      }
    }
    list.replaceChildren(...nodes);
    options = Array.from(list.querySelectorAll("[role=option]"));
    input.setAttribute("aria-expanded", "true");
    choose(0);
  }

  async function ask() {
    const q = input.value.trim();
    const mine = ++asked;
    if (!q) {
      list.replaceChildren();
      options = [];
      input.setAttribute("aria-expanded", "false");
      return;
    }
    try {
      const url = `${form.dataset.api}?${new URLSearchParams({ q, limit: "20" })}`;
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const body = await response.json();
      if (mine === asked) show(body.items);
    } catch {
      if (mine === asked) note(form.dataset.failed);
    }
  }

  function open() {
    if (dialog.open) return;
    dialog.showModal();
    input.select();
  }

  document.addEventListener("keydown", (event) => {
    const inField = event.target.closest?.("input, textarea, select, [contenteditable]");
    if (isPaletteKey(event) || (event.key === "/" && !inField && !dialog.open)) {
      event.preventDefault();
      open();
    }
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, DELAY_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      choose((chosen + 1) % options.length);
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault();
      choose((chosen - 1 + options.length) % options.length);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (chosen >= 0) window.location.assign(options[chosen].href);
      else if (input.value.trim()) {
        window.location.assign(`${form.action}?${new URLSearchParams({ q: input.value.trim() })}`);
      }
    }
  });
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
  });
  form.dataset.ready = "1";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
