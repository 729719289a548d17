// Tiny DOM helpers: elements are built with text nodes, never innerHTML, so data from the
// server or the rep can never become markup.

/**
 * h("button", {type: "button", onclick}, "Save")
 * @param {string} tag
 * @param {object|null} [attrs] attributes; on* keys become listeners; `dataset`, `style` objects
 * @param {...(Node|string|number|null|false|Array)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = null, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key in el && key !== "list" && typeof value !== "string") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replace an element's content.
 * @param {Element} el
 * @param {...*} children
 */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * A labelled form field (label wraps nothing: `for`/`id` so screen readers and tests agree).
 * @param {string} id
 * @param {string} label
 * @param {HTMLElement} control
 */
export function field(id, label, control) {
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

/** @param {string} text shown briefly in the polite live region */
export function toast(text) {
  const region = document.getElementById("toast");
  if (!region) return;
  region.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    region.textContent = "";
  }, 4000);
}

/** @returns {string} today's date as YYYY-MM-DD in the phone's time zone */
export function todayIso(now = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

const scripts = new Map();

/**
 * Load a classic script once (Leaflet is only needed when a map is drawn, so the first start
 * on a slow link does not wait for it).
 * @param {string} src
 * @returns {Promise<void>}
 */
export function loadScript(src) {
  if (!scripts.has(src)) {
    scripts.set(
      src,
      new Promise((resolve, reject) => {
        const el = document.createElement("script");
        el.src = src;
        el.onload = () => resolve();
        el.onerror = () => {
          scripts.delete(src);
          reject(new Error(`could not load ${src}`));
        };
        document.head.append(el);
      }),
    );
  }
  return scripts.get(src);
}

/** How long an undo offer stays (long enough to read it and reach the button). */
export const SNACKBAR_MS = 8000;

/**
 * A message with one action (Undo) for a few seconds, above the menu; outside #screen, so
 * the screen's redraw keeps it. A newer one replaces it.
 * @param {string} text
 * @param {{label: string, ariaLabel?: string, onClick: () => void|Promise<void>}} action
 * @param {number} [ms]
 * @returns {HTMLElement} the bar
 */
export function snackbar(text, action, ms = SNACKBAR_MS) {
  let bar = document.getElementById("snackbar");
  if (!bar) {
    bar = h("div", { id: "snackbar", class: "snackbar", role: "status" });
    (document.getElementById("toast") || document.body.lastChild).after(bar);
  }
  clearTimeout(snackbar.timer);
  const hide = () => {
    clearTimeout(snackbar.timer);
    bar.replaceChildren();
    bar.hidden = true;
  };
  const button = h("button", { type: "button", class: "btn", id: "snackbar-action", "aria-label": action.ariaLabel || null,
    onclick: async () => {
      hide();
      await action.onClick();
    } }, action.label); // prettier-ignore
  mount(bar, h("span", null, text), button);
  bar.hidden = false;
  snackbar.timer = setTimeout(hide, ms);
  return bar;
}
