// Check in and log a visit. From Today: "Log visit" (1) opens this form and asks for a fresh
// GPS fix at once (that tap is the check-in), pick an outcome (2), type, "Save visit" (3).
// Save waits until the fix is in or the rep chose to continue without a position.

import { checkOut, logVisit } from "../actions.js";
import { dropDraftPhotos, getRecord, promotePhotos, recordsOfAccount } from "../db.js";
import { checkInOf, distanceM, isFar } from "../geo.js";
import { formatDistance, formatTime, t } from "../i18n.js";
import { formatDuration, timeOnSiteMs } from "../onsite.js";
import { field, h, mount, toast, todayIso } from "../ui.js";
import { newId } from "../outbox.js";
import { gpsFix } from "./gps-fix.js";
import { photoPicker } from "./visit-photos.js";

export const OUTCOMES = ["order", "follow_up", "no_interest", "not_met", "closed"];

/**
 * @param {HTMLElement} root
 * @param {{params: string[], query: URLSearchParams, me: object, navigate: Function}} ctx
 */
export async function renderVisitForm(root, ctx) {
  const account = await getRecord("accounts", ctx.params[0]);
  if (!account) {
    mount(root, h("h1", null, t("log_visit")), h("p", { class: "empty" }, t("account_missing")));
    return;
  }
  // Logging completes the planned visit: the stop tapped on Today, or (from the account's
  // page) this account's stop of today on my route, when there is one (issue 14).
  const stopId = ctx.query.get("stop");
  const stop = stopId ? await getRecord("visits", stopId) : await plannedToday(account.id, ctx.me);
  // Checked in earlier (the card's "Check in"): this form is the check-out, no new fix.
  const open = stop && stop.checked_in_at && !stop.checked_out_at && stop.status !== "done" ? stop : null;
  // The tap that opened this form is the check-in; the fix is asked for now and must be a
  // fresh one (its own time travels as fix_at). No fix: the rep retries or goes on without.
  const checkedInAt = new Date().toISOString();
  // The visit this form saves (the open one, the planned stop, or a new one): its photos are
  // kept under its id. Photos of a form left unsaved go (drafts), when a form opens again.
  const visitId = open ? open.id : stop && stop.status !== "done" ? stop.id : newId();
  await dropDraftPhotos();
  const photos = photoPicker(visitId);
  const save = h("button", { type: "submit", class: "btn btn-primary btn-block", disabled: !open,
    "aria-describedby": "checkin-status" }, t("save_visit")); // prettier-ignore
  const gps = open ? openVisitStatus(open) : gpsFix({
    id: "checkin-status",
    missingText: t("checkin_no_position"),
    describe: (fix) => describeFix(fix, account),
    onChange: (settled) => {
      save.disabled = !settled;
    },
  });

  const outcomes = h(
    "fieldset",
    { class: "outcomes" },
    h("legend", null, t("outcome")),
    OUTCOMES.map((value) =>
      h("label", { class: "choice" }, h("input", { type: "radio", name: "outcome", value }), t(`outcome_${value}`)),
    ),
  );
  const notes = h("textarea", { name: "notes", rows: 3 });
  const stepTitle = h("input", { name: "next_step", autocomplete: "off" });
  const stepDue = h("input", { name: "due", type: "date" });

  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        if (!gps.settled) return;
        save.disabled = true;
        if (open) {
          const title = stepTitle.value.trim();
          const due = stepDue.value ? new Date(`${stepDue.value}T09:00:00`).toISOString() : null;
          const outcome = form.querySelector("input[name=outcome]:checked")?.value || "";
          await checkOut({ account, visit: open, outcome, notes: notes.value.trim(),
            nextStep: title ? { title, due_at: due } : null }); // prettier-ignore
          await promotePhotos(visitId);
          toast(t("checked_out_toast"));
          ctx.navigate(`#/account/${account.id}`);
          return;
        }
        const outcome = form.querySelector("input[name=outcome]:checked")?.value || "";
        const title = stepTitle.value.trim();
        const due = stepDue.value ? new Date(`${stepDue.value}T09:00:00`).toISOString() : null;
        await logVisit({
          account, me: ctx.me, checkIn: checkInOf(gps.fix, checkedInAt), outcome, notes: notes.value.trim(), stop,
          nextStep: title ? { title, due_at: due } : null, id: visitId,
        }); // prettier-ignore
        await promotePhotos(visitId);
        toast(t("visit_saved"));
        ctx.navigate("#/today");
      },
    },
    gps.element,
    outcomes,
    field("visit-notes", t("notes"), notes),
    h(
      "fieldset",
      null,
      h("legend", null, t("next_step")),
      field("visit-next-step", t("next_step_title"), stepTitle),
      field("visit-next-due", t("due_date"), stepDue),
    ),
    photos.element,
    save,
  );
  if (open) save.textContent = t("check_out_save");
  mount(root, h("h1", null, t("visit_at", { name: account.name })), form);
  gps.start();
  await photos.refresh();
}

/**
 * In place of the GPS step for a visit already checked in: when, and the time on site running.
 * @param {object} visit
 */
function openVisitStatus(visit) {
  const clock = h("bdi", { dir: "ltr", class: "clock", id: "time-on-site" }, formatDuration(timeOnSiteMs(visit)));
  const element = h("div", { class: "fix fix-ok", id: "checkin-status", role: "status" },
    t("checked_in_at", { time: formatTime(visit.checked_in_at) }), " · ",
    h("span", { role: "timer", "aria-label": t("time_on_site") }, clock)); // prettier-ignore
  const timer = setInterval(() => {
    if (!clock.isConnected) clearInterval(timer);
    else clock.textContent = formatDuration(timeOnSiteMs(visit));
  }, 1000);
  return { element, settled: true, start: () => {} };
}

/**
 * What the rep reads once the fix is in: how far from the account, flagged when far.
 * @param {{location: object, accuracy_m: number}} fix
 * @param {{location: object|null}} account
 * @returns {{text: string, className: string}}
 */
function describeFix(fix, account) {
  const accuracy = formatDistance(fix.accuracy_m);
  if (!account.location) return { text: t("fix_no_account_location", { accuracy }), className: "fix-ok" };
  const distance = distanceM(fix.location, account.location);
  const far = isFar(distance, fix.accuracy_m);
  return {
    text: t(far ? "checked_in_far" : "checked_in", { distance: formatDistance(distance), accuracy }),
    className: far ? "fix-far" : "fix-ok",
  };
}

/**
 * My planned visit of this account today, if my route has one.
 * @param {string} accountId
 * @param {object} me
 * @returns {Promise<object|null>}
 */
export async function plannedToday(accountId, me) {
  const today = todayIso();
  const visits = await recordsOfAccount("visits", accountId);
  return (
    visits.find((v) => v.rep_id === me?.id && v.scheduled_on === today && v.status === "planned") || null
  );
}
