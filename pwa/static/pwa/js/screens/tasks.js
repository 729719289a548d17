// Tasks: mine, due today or overdue, each completed with one tap and linked to its account.

import { completeTask, reopenTask } from "../actions.js";
import { allRecords } from "../db.js";
import { formatDateTime, t } from "../i18n.js";
import { h, mount, snackbar, toast } from "../ui.js";

/**
 * @param {object[]} tasks
 * @param {number} repId
 * @param {Date} now
 * @returns {{overdue: object[], today: object[]}}
 */
export function dueTasks(tasks, repId, now = new Date()) {
  const startOfDay = new Date(now);
  startOfDay.setHours(0, 0, 0, 0);
  const endOfDay = new Date(startOfDay.getTime() + 86_400_000);
  const open = tasks
    .filter((task) => task.assignee_id === repId && !task.is_done && task.due_at)
    .sort((a, b) => a.due_at.localeCompare(b.due_at));
  return {
    overdue: open.filter((task) => new Date(task.due_at) < startOfDay),
    today: open.filter((task) => {
      const due = new Date(task.due_at);
      return due >= startOfDay && due < endOfDay;
    }),
  };
}

/**
 * @param {HTMLElement} root
 * @param {{me: object, rerender: () => void}} ctx
 */
export async function renderTasks(root, ctx) {
  const [tasks, accounts] = await Promise.all([allRecords("tasks"), allRecords("accounts")]);
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  const { overdue, today } = dueTasks(tasks, ctx.me?.id);
  const item = (task) =>
    h(
      "li",
      { class: "task" },
      h(
        "div",
        { class: "task-main" },
        h("strong", null, task.title),
        // The task's account, one tap away (issue 21).
        h("span", { class: "muted" },
          task.account_id && names.has(task.account_id)
            ? h("a", { href: `#/account/${task.account_id}`, class: "task-account" }, names.get(task.account_id))
            : null,
          task.account_id && names.has(task.account_id) && task.due_at ? " · " : null,
          formatDateTime(task.due_at)),
      ),
      h("button", {
        type: "button",
        class: "btn",
        "aria-label": t("complete_task", { title: task.title }),
        onclick: async () => {
          await completeTask(task);
          // A few seconds to take it back (issue 21), offline too.
          snackbar(t("task_completed_undo"), {
            label: t("undo"),
            ariaLabel: t("undo_task", { title: task.title }),
            onClick: async () => {
              await reopenTask(task, { syncing: ctx.sync?.state?.phase === "syncing" });
              toast(t("task_reopened"));
              ctx.rerender();
            },
          });
          ctx.rerender();
        },
      }, t("done")),
    );
  mount(
    root,
    h("h1", null, t("tasks")),
    h("h2", null, t("overdue")),
    overdue.length ? h("ul", { class: "list", "aria-label": t("overdue") }, overdue.map(item)) : h("p", { class: "empty" }, t("none")),
    h("h2", null, t("due_today")),
    today.length ? h("ul", { class: "list", "aria-label": t("due_today") }, today.map(item)) : h("p", { class: "empty" }, t("none")),
  );
}
