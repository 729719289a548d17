// The GPS step of a check-in and of a new prospect (issue 14): ask for a fresh fix (never the
// previous stop's), show the wait, and when no fix comes (timeout, permission off, no signal)
// say so and let the rep try again or continue without a position, recorded as missing.

import { currentFix, FIX_TIMEOUT_MS } from "../geo.js";
import { formatNumber, t } from "../i18n.js";
import { h } from "../ui.js";

/**
 * @typedef {"locating"|"fixed"|"failed"|"missing"} FixState
 * @param {{
 *   id: string,
 *   describe: (fix: object) => {text: string, className?: string},
 *   missingText: string,
 *   onChange?: (settled: boolean, state: FixState) => void,
 *   locate?: () => Promise<object>,
 *   timeoutMs?: number,
 * }} options
 * @returns {{element: HTMLElement, start: () => Promise<void>, continueWithout: () => void,
 *   readonly fix: object|null, readonly state: FixState, readonly settled: boolean}}
 *   ``settled``: a fix is in or the rep chose to go on without one (the form may save)
 */
export function gpsFix({ id, describe, missingText, onChange = () => {}, locate, timeoutMs = FIX_TIMEOUT_MS }) {
  const ask = locate || (() => currentFix({ timeoutMs }));
  const seconds = formatNumber(Math.round(timeoutMs / 1000));
  let state = "locating";
  let fix = null;
  let attempt = 0;
  let ticker = null;
  let waited = 0;

  const text = h("span", { class: "fix-text" });
  const progress = h("progress", { class: "fix-progress", max: Math.round(timeoutMs / 1000), value: 0,
    "aria-label": t("gps_waiting") }); // prettier-ignore
  const status = h("div", { class: "fix", role: "status", "aria-live": "polite", id }, text, progress);
  const again = h("button", { type: "button", class: "btn btn-quiet", onclick: () => start() });
  const without = h("button", { type: "button", class: "btn btn-quiet", onclick: () => continueWithout() },
    t("continue_without_position")); // prettier-ignore
  const element = h("div", { class: "gps" }, status, h("div", { class: "row" }, again, without));

  function stopTicker() {
    clearInterval(ticker);
    ticker = null;
  }

  function show(next, reason = "") {
    state = next;
    progress.hidden = next !== "locating";
    again.hidden = next === "locating";
    again.textContent = next === "fixed" ? t("gps_again") : t("retry_gps");
    without.hidden = next === "fixed" || next === "missing";
    if (next === "locating") {
      status.className = "fix fix-wait";
      text.textContent = t("locating_fresh", { seconds });
    } else if (next === "fixed") {
      const { text: said, className = "" } = describe(fix);
      status.className = `fix ${className}`.trim();
      text.textContent = said;
    } else if (next === "failed") {
      status.className = "fix fix-fail";
      text.textContent = t(`no_fix_${reason}`, { seconds });
    } else {
      status.className = "fix fix-missing";
      text.textContent = missingText;
    }
    status.dataset.state = next;
    onChange(next === "fixed" || next === "missing", next);
  }

  async function start() {
    attempt += 1;
    const mine = attempt;
    fix = null; // a new attempt never keeps the previous fix
    waited = 0;
    progress.value = 0;
    stopTicker();
    // Progress while waiting: the seconds so far, against the time the phone will wait.
    ticker = setInterval(() => {
      if (!element.isConnected) return stopTicker();
      waited += 1;
      progress.value = Math.min(waited, progress.max);
    }, 1000);
    show("locating");
    try {
      const got = await ask();
      if (mine !== attempt) return; // the rep went on without it, or asked again
      fix = got;
      stopTicker();
      show("fixed");
    } catch (error) {
      if (mine !== attempt) return;
      stopTicker();
      show("failed", ["timeout", "denied"].includes(error?.reason) ? error.reason : "unavailable");
    }
  }

  function continueWithout() {
    attempt += 1; // a fix that still comes for the abandoned attempt is not used
    fix = null;
    stopTicker();
    show("missing");
  }

  show("locating");
  return {
    element,
    start,
    continueWithout,
    get fix() {
      return fix;
    },
    get state() {
      return state;
    },
    get settled() {
      return state === "fixed" || state === "missing";
    },
  };
}
