// Search and list (issue 21): every account on the phone, searched by name, contact, phone
// (digits alone match too) and address, folded like the server's search; sorted by name,
// due date, last visit or distance (once a position is known). A row opens the card.
//
// A keystroke filters an index built when the screen opens, already sorted, and draws at most
// PAGE rows: the work per key stays flat with 2,000 accounts on a slow phone. A row's element is
// built once per index and reused (its checkbox kept in step with the selection), and a key
// that leaves the shown rows as they were touches only the count: building 50 rows a key was
// most of a keystroke's time (bench/phone_map.py).

import { filterAccounts, search, searchIndex, sortAccounts, SORTS } from "../accounts-view.js";
import { allRecords } from "../db.js";
import { formatDistance, formatNumber, language, t } from "../i18n.js";
import { field, h, mount, toast } from "../ui.js";
import { askPosition, filterForm, knownPosition, state, viewSwitch } from "./accounts-common.js";
import { selectionBar, toggleSelected } from "./selection.js";

const PAGE = 50;
// Rows drawn within the keystroke: more than a 640 px screen holds (about eight). The rest of
// the page follows in the next task, so a key that changes every row still answers at once.
const FIRST = 12;

/**
 * @param {HTMLElement} root
 * @param {object} ctx
 */
export async function renderAccountsList(root, ctx) {
  const [accounts, contacts] = await Promise.all([allRecords("accounts"), allRecords("contacts")]);
  const collator = new Intl.Collator(language());
  // One formatter per screen: building one per row was most of a keystroke's time.
  const dates = new Intl.DateTimeFormat(language(), { dateStyle: "medium" });
  // Issue 21: a checkbox per row picks the account for "Add to today".
  const selection = selectionBar(ctx, () => draw());
  const built = new Map();
  const row = (a) => {
    let node = built.get(a.id);
    if (!node) {
      node = accountRow(a, dates, () => selection.update());
      built.set(a.id, node);
    }
    node.querySelector("input.pick").checked = state.selected.has(a.id);
    return node;
  };
  let shownIds = ""; // the ids of the page whose rows are all drawn
  let rest = null; // the timer drawing the page's rows below the first screen
  let index = [];
  let limit = PAGE;
  const results = h("ol", { class: "list accounts", "aria-label": t("accounts_found") });
  const count = h("p", { class: "muted count", id: "accounts-count", role: "status" });
  const more = h("button", { type: "button", class: "btn btn-block", hidden: true, onclick: () => {
    limit += PAGE;
    draw();
  } }, t("show_more")); // prettier-ignore
  const query = h("input", { type: "search", name: "q", value: state.query, autocomplete: "off", enterkeyhint: "search" });
  query.addEventListener("input", () => {
    state.query = query.value;
    limit = PAGE;
    draw();
  });
  const sort = h("select", { name: "sort" }, SORTS.map((s) =>
    h("option", { value: s, selected: state.sort === s, disabled: s === "distance" && !state.here }, t(`sort_${s}`)))); // prettier-ignore
  sort.addEventListener("change", () => {
    state.sort = sort.value;
    rebuild();
  });
  const locate = h("button", { type: "button", class: "btn", onclick: async () => {
    try {
      await askPosition();
    } catch {
      toast(t("no_fix_nearby"));
      return;
    }
    sort.querySelector('option[value="distance"]').disabled = false;
    sort.value = state.sort = "distance";
    rebuild();
  } }, t("use_my_position")); // prettier-ignore

  function rebuild() {
    const shown = filterAccounts(accounts, state.filters);
    const by = state.sort === "distance" && !state.here ? "name" : state.sort;
    index = searchIndex(sortAccounts(shown, by, { here: state.here, collator }), contacts);
    built.clear(); // the rows carry what the sort added (the distance)
    shownIds = "";
    limit = PAGE;
    draw();
  }

  function draw() {
    const found = search(index, state.query);
    count.textContent = t("accounts_found_n", { n: formatNumber(found.length) });
    const page = found.slice(0, limit);
    const ids = page.map((a) => a.id).join(" ");
    clearTimeout(rest);
    if (ids === shownIds) {
      for (const a of page) row(a); // the same rows: only their checkboxes follow the selection
    } else {
      mount(results, page.slice(0, FIRST).map(row));
      const finish = () => {
        results.append(...page.slice(FIRST).map(row));
        shownIds = ids; // every row of this page is in the list now
      };
      if (page.length > FIRST) rest = setTimeout(finish, 0);
      else finish();
    }
    more.hidden = found.length <= limit;
  }

  mount(
    root,
    h("h1", null, t("accounts")),
    viewSwitch("list"),
    field("account-search", t("search_accounts"), query),
    h("div", { class: "row sort-row" }, field("account-sort", t("sort_by"), sort), locate),
    filterForm(accounts, rebuild),
    count,
    results,
    more,
    selection.bar,
  );
  rebuild();
  // A position the browser already grants enables the distance sort without a prompt.
  if (!state.here) {
    knownPosition().then((here) => {
      if (here && sort.isConnected) sort.querySelector('option[value="distance"]').disabled = false;
    });
  }
}

function accountRow(a, dates, onSelect) {
  const date = (v) => dates.format(new Date(v));
  const meta = [
    a.distance_m != null ? formatDistance(a.distance_m) : null,
    a.visit_due_at ? t("due_on", { date: date(a.visit_due_at) }) : null,
    t("last_visit_on", { date: a.last_visited_at ? date(a.last_visited_at) : t("never") }),
  ].filter(Boolean);
  return h(
    "li",
    { dataset: { accountId: a.id }, class: "account-row" },
    h("input", {
      type: "checkbox", class: "pick", checked: state.selected.has(a.id),
      "aria-label": t("select_name", { name: a.name }),
      onchange: (event) => {
        event.target.checked = toggleSelected(a.id);
        onSelect();
      },
    }), // prettier-ignore
    h("a", { href: `#/account/${a.id}`, class: "stop-name" }, a.name),
    " ",
    h("span", { class: "badge" }, t(`account_status_${a.status}`)),
    a.address ? h("div", { class: "muted" }, a.address) : null,
    // A phone number reads left to right in Persian too (+376 814440, not 814440 376+).
    a.phone ? h("div", null, h("bdi", { dir: "ltr", class: "phone" }, a.phone)) : null,
    h("div", { class: "muted small" }, meta.join(" · ")),
  );
}
