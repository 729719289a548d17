// Take an order or make a quote at the shop, offline (issue 18): from the account card, search
// the cached price list (name or SKU, as you type), tap a product to add it, set quantities
// with big − / + buttons or by typing, see the total as you type (the server's rounding,
// order-math.js), save. Saved in the outbox like everything else; the server numbers it.
//
// Taps from the card: "Take order" (1), one per product, the quantities, "Save" (2). The
// search box has the focus from the start and again after each product, so the next name is
// typed, not tapped to.

import { takeOrder } from "../actions.js";
import { allRecords, getRecord, recordsBy } from "../db.js";
import { language, t } from "../i18n.js";
import {
  buildCatalog,
  fromScaled,
  lineAmounts,
  minorToDecimal,
  orderTotals,
  priceListFor,
  searchCatalog,
  toScaled,
} from "../order-math.js";
import { h, mount, toast, todayIso } from "../ui.js";

const RESULTS = 20;

/**
 * An amount in the phone's language's digits, to the currency's minor units, with its code.
 * @param {string} amount a decimal text ("30.66")
 * @param {number} digits
 * @param {string} currency
 */
export function formatMoney(amount, digits, currency) {
  const n = new Intl.NumberFormat(language(), { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false }).format(Number(amount));
  return `${n} ${currency}`;
}

/**
 * @param {HTMLElement} root
 * @param {{params: string[], query: URLSearchParams, me: object, navigate: Function}} ctx
 */
export async function renderOrder(root, ctx) {
  const kind = ctx.query.get("kind") === "quote" ? "quote" : "order";
  const isQuote = kind === "quote";
  const account = await getRecord("accounts", ctx.params[0]);
  if (!account) {
    mount(root, h("h1", null, t("account")), h("p", { class: "empty" }, t("account_missing")));
    return;
  }
  const title = t(isQuote ? "new_quote_for" : "new_order_for", { name: account.name });
  const priceList = priceListFor(await allRecords("price_lists"), account, todayIso());
  if (!priceList) {
    mount(root, h("h1", null, title), h("p", { class: "empty", id: "no-price-list" }, t("no_price_list")),
      h("a", { href: `#/account/${account.id}`, class: "btn" }, t("back_to_card"))); // prettier-ignore
    return;
  }
  const [items, products] = await Promise.all([recordsBy("price_items", "price_list_id", priceList.id), allRecords("products")]);
  const catalog = buildCatalog(items, new Map(products.map((p) => [p.id, p])));
  const digits = priceList.digits ?? 2;
  const money = (amount) => formatMoney(amount, digits, priceList.currency);
  /** @type {{product: object, unitPrice: string, quantity: string, error: boolean}[]} */
  const lines = [];

  const search = h("input", {
    type: "search", id: "product-search", autocomplete: "off", dataset: { autofocus: "1" }, enterkeyhint: "search",
    "aria-controls": "product-results", placeholder: t("product_search_hint"),
  }); // prettier-ignore
  const results = h("ul", { class: "list product-results", id: "product-results", "aria-label": t("products_found") });
  const lineList = h("ol", { class: "list order-lines", id: "order-lines" });
  const total = h("p", { class: "order-total", id: "order-total", "aria-live": "polite" });
  const error = h("p", { class: "field-error", id: "order-error", role: "alert", hidden: true });
  const notes = h("textarea", { id: "order-notes", rows: 2, maxlength: 10000, dir: "auto" });

  const amountsOf = (line) =>
    lineAmounts({ quantity: line.quantity, unitPrice: line.unitPrice, taxRate: String(line.product.tax_rate ?? "0"), digits });

  function showResults() {
    const found = searchCatalog(catalog, search.value, RESULTS);
    const empty = search.value.trim() && !found.length ? h("li", { class: "empty" }, t("no_product_found")) : null;
    mount(results, empty, found.map((row) =>
      h("li", null, h("button", { type: "button", class: "btn btn-block product-pick", dataset: { product: row.product.id },
        onclick: () => add(row) },
        h("span", { class: "pick-name" }, row.product.name),
        h("span", { class: "muted" }, h("bdi", { dir: "ltr" }, row.product.sku), " · ", h("bdi", { dir: "ltr" }, money(row.price)))))),
    ); // prettier-ignore
  }

  function add(row) {
    const line = lines.find((l) => l.product.id === row.product.id);
    if (line) step(line, 1);
    else lines.push({ product: row.product, unitPrice: row.price, quantity: "1", error: false });
    search.value = "";
    showResults();
    showLines();
    search.focus();
  }

  function step(line, delta) {
    const q = toScaled(line.quantity, 3);
    const next = (q === null ? 0n : q) + BigInt(delta) * 1000n;
    line.quantity = fromScaled(next < 1000n ? 1000n : next, 3);
    line.error = false;
  }

  function refreshTotal() {
    const valid = lines.filter((l) => !l.error).map(amountsOf).filter(Boolean);
    const sum = orderTotals(valid);
    mount(total, h("span", null, t("order_total")), " ", h("strong", null, h("bdi", { dir: "ltr" }, money(minorToDecimal(sum.total, digits)))),
      h("span", { class: "muted" }, " · ", t("order_net_tax", { net: money(minorToDecimal(sum.net, digits)), tax: money(minorToDecimal(sum.tax, digits)) }))); // prettier-ignore
    return sum;
  }

  function showLines() {
    mount(lineList, lines.map((line, i) => lineItem(line, i)));
    if (!lines.length) lineList.append(h("li", { class: "empty" }, t("order_no_lines")));
    refreshTotal();
  }

  function lineItem(line, i) {
    const name = line.product.name;
    const lineTotal = h("span", { class: "line-total" });
    const fieldError = h("p", { class: "field-error", id: `qty-${i}-error`, hidden: !line.error }, t("quantity_invalid"));
    const showLineTotal = () => {
      const a = line.error ? null : amountsOf(line);
      lineTotal.textContent = a ? money(minorToDecimal(a.total, digits)) : "—";
    };
    const qty = h("input", {
      id: `qty-${i}`, class: "qty", value: line.quantity, inputmode: "decimal", autocomplete: "off", dir: "ltr",
      "aria-label": t("quantity_of", { name }), "aria-describedby": fieldError.id, "aria-invalid": line.error ? "true" : null,
      oninput: () => {
        line.quantity = qty.value;
        const q = toScaled(qty.value, 3);
        line.error = q === null || q <= 0n;
        fieldError.hidden = !line.error;
        qty.toggleAttribute("aria-invalid", line.error);
        showLineTotal();
        refreshTotal();
      },
    }); // prettier-ignore
    showLineTotal();
    const bump = (delta) => () => {
      step(line, delta);
      showLines();
      document.getElementById(`qty-${i}`)?.focus();
    };
    return h("li", { class: "order-line" },
      h("div", { class: "line-head" }, h("strong", { dir: "auto" }, name), " ",
        h("span", { class: "muted" }, h("bdi", { dir: "ltr" }, `× ${money(line.unitPrice)}`), line.product.unit ? ` / ${line.product.unit}` : "")),
      h("div", { class: "row qty-row" },
        h("button", { type: "button", class: "btn qty-step", "aria-label": t("quantity_less", { name }), onclick: bump(-1) }, "−"),
        qty,
        h("button", { type: "button", class: "btn qty-step", "aria-label": t("quantity_more", { name }), onclick: bump(1) }, "+"),
        lineTotal,
        h("button", { type: "button", class: "btn btn-quiet", "aria-label": t("remove_line", { name }), onclick: () => {
          lines.splice(i, 1);
          showLines();
          search.focus();
        } }, "×")),
      fieldError); // prettier-ignore
  }

  async function save(event) {
    event.preventDefault();
    if (!lines.length || lines.some((l) => l.error)) {
      error.textContent = t(lines.length ? "order_fix_quantities" : "order_needs_line");
      error.hidden = false;
      (lineList.querySelector("[aria-invalid]") || search).focus();
      return;
    }
    // The quantity as the server reads it ("1,5" and "۱٫۵" typed are "1.5").
    const priced = lines.map((line) => ({ ...line, quantity: fromScaled(toScaled(line.quantity, 3), 3), amounts: amountsOf(line) }));
    const sum = orderTotals(priced.map((l) => l.amounts));
    const asText = (v) => minorToDecimal(v, digits);
    await takeOrder({
      account, me: ctx.me, kind, priceList, notes: notes.value.trim(),
      lines: priced.map((l) => ({ ...l, amounts: { net: asText(l.amounts.net), tax: asText(l.amounts.tax), total: asText(l.amounts.total) } })),
      totals: { net: asText(sum.net), tax: asText(sum.tax), total: asText(sum.total) },
    }); // prettier-ignore
    toast(t(isQuote ? "quote_saved" : "order_saved"));
    ctx.navigate(`#/account/${account.id}`);
  }

  search.addEventListener("input", showResults);
  mount(root,
    h("h1", null, title),
    h("p", { class: "sub" }, t("price_list_named", { name: priceList.name }), " · ", h("bdi", { dir: "ltr" }, priceList.currency)),
    h("form", { id: "order-form", novalidate: true, onsubmit: save },
      h("div", { class: "field" }, h("label", { for: search.id }, t("product_search")), search),
      results,
      h("section", { "aria-labelledby": "lines-h" }, h("h2", { id: "lines-h" }, t("order_lines")), lineList),
      total,
      h("div", { class: "field" }, h("label", { for: notes.id }, t("notes")), notes),
      error,
      h("div", { class: "row" },
        h("button", { type: "submit", class: "btn btn-primary btn-block", id: "order-save" }, t(isQuote ? "save_quote" : "save_order")),
        h("a", { href: `#/account/${account.id}`, class: "btn btn-quiet" }, t("cancel"))))); // prettier-ignore
  showLines();
  search.focus();
}

/**
 * The account card's orders and quotes: the number once the server gave it ("not sent yet"
 * before), the status, the total; a refusal from the server (e.g. a confirmed order edited) is
 * shown on the order it concerns, with its reason.
 * @param {object[]} orders the account's pulled and queued orders
 * @param {object[]} rejected rejected outbox items
 */
export function ordersList(orders, rejected) {
  if (!orders.length) return h("p", { class: "empty" }, t("no_orders"));
  const refusals = new Map(rejected.filter((item) => item.entity === "order").map((item) => [item.id, item]));
  const sorted = [...orders].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  return h("ul", { class: "list", id: "account-orders" }, sorted.slice(0, 20).map((o) => {
    const refused = refusals.get(o.id);
    const digits = Math.max(0, (String(o.total).split(".")[1] || "").length);
    return h("li", { class: "order-item", dataset: { order: o.id } },
      h("strong", { class: "order-number" }, o.number ? h("bdi", { dir: "ltr" }, o.number) : t(isQuoteRecord(o) ? "quote_not_sent" : "order_not_sent")),
      " · ", h("span", { class: "badge" }, t(`order_status_${o.status}`)),
      " · ", h("bdi", { dir: "ltr", class: "order-sum" }, formatMoney(o.total, digits, o.currency)),
      " · ", t("order_line_count", { n: (o.lines || []).length }),
      refused ? h("p", { class: "field-error", role: "alert" }, t("order_refused"), " ",
        (refused.errors || []).map((e) => e.msg).join(" ")) : null); // prettier-ignore
  }));
}

/** @param {{kind: string}} o */
function isQuoteRecord(o) {
  return o.kind === "quote";
}
