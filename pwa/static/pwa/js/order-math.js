// Orders on the phone (issue 18): the arithmetic, the price list that applies, the product
// search. Pure functions (node --test drives them), no DOM, no IndexedDB.
//
// Arithmetic: the server's rule (fieldcrm/orders/totals.py), exactly, in BigInt: a line's net
// = quantity × unit price × (1 − discount/100), its tax = net × rate/100, each rounded
// ROUND_HALF_UP to the currency's minor units (`digits`, sent by the server with the price
// list: EUR 2, VND and JPY 0, KWD 3); the order's totals add up the rounded lines. Amounts
// are integers of minor units here, so no binary fraction ever rounds differently.

const TEN = 10n;

/**
 * A decimal text ("3", "1.5", "1,5", "۱٫۵") as an integer scaled by 10^scale, or null when it
 * is not a number with at most `scale` decimals.
 * @param {string|number} text
 * @param {number} scale
 * @returns {bigint|null}
 */
export function toScaled(text, scale) {
  const ascii = String(text ?? "")
    .trim()
    // Persian and Arabic-Indic digits, and their decimal separators, to ASCII.
    .replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[٫,]/g, ".");
  const match = /^(\d{1,15})(?:\.(\d*))?$/.exec(ascii);
  if (!match) return null;
  const decimals = (match[2] || "").replace(/0+$/, "");
  if (decimals.length > scale) return null;
  return BigInt(match[1]) * TEN ** BigInt(scale) + BigInt((decimals.padEnd(scale, "0")) || "0");
}

/** @param {bigint} scaled @param {number} scale @returns {string} "1.5", "3", "0.125" */
export function fromScaled(scaled, scale) {
  const unit = TEN ** BigInt(scale);
  const whole = scaled / unit;
  const rest = (scaled % unit).toString().padStart(scale, "0").replace(/0+$/, "");
  return rest ? `${whole}.${rest}` : String(whole);
}

// num / den rounded half up (both >= 0).
function roundHalfUp(num, den) {
  return (2n * num + den) / (2n * den);
}

/**
 * One line's amounts in minor units.
 * @param {{quantity: string, unitPrice: string, discount?: string, taxRate: string,
 *   digits: number}} line quantity ≤ 3 decimals, price ≤ 4, discount and rate ≤ 2
 * @returns {{net: bigint, tax: bigint, total: bigint}|null} null: a number is not valid
 */
export function lineAmounts({ quantity, unitPrice, discount = "0", taxRate, digits }) {
  const q = toScaled(quantity, 3);
  const p = toScaled(unitPrice, 4);
  const d = toScaled(discount, 2);
  const r = toScaled(taxRate, 2);
  if (q === null || p === null || d === null || r === null || q <= 0n || d > 10000n) return null;
  const k = TEN ** BigInt(digits);
  const net = roundHalfUp(q * p * (10000n - d) * k, TEN ** 11n);
  const tax = roundHalfUp(net * r, 10000n);
  return { net, tax, total: net + tax };
}

/** @param {{net: bigint, tax: bigint}[]} lines @returns {{net: bigint, tax: bigint, total: bigint}} */
export function orderTotals(lines) {
  let net = 0n;
  let tax = 0n;
  for (const line of lines) {
    net += line.net;
    tax += line.tax;
  }
  return { net, tax, total: net + tax };
}

/** @param {bigint} minor @param {number} digits @returns {string} "30.66" (the server's form) */
export function minorToDecimal(minor, digits) {
  if (!digits) return minor.toString();
  const unit = TEN ** BigInt(digits);
  return `${minor / unit}.${(minor % unit).toString().padStart(digits, "0")}`;
}

/**
 * The price list that applies to `account` on `day` (YYYY-MM-DD), as the server decides
 * (orders.selectors.price_list_for): among the active lists valid that day, one assigned to
 * the account wins, else one assigned to its territory; at one level the latest valid_from,
 * then by name.
 * @param {object[]} lists pulled price lists
 * @param {{id: string, territory_id?: number|null}} account
 * @param {string} day
 * @returns {object|null}
 */
export function priceListFor(lists, account, day) {
  const valid = lists.filter(
    (l) => l.is_active && (!l.valid_from || l.valid_from <= day) && (!l.valid_until || l.valid_until >= day),
  );
  const order = (a, b) =>
    (b.valid_from || "").localeCompare(a.valid_from || "") || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const own = valid.filter((l) => (l.account_ids || []).includes(account.id)).sort(order);
  if (own.length) return own[0];
  if (account.territory_id == null) return null;
  const theirs = valid.filter((l) => (l.territory_ids || []).includes(account.territory_id)).sort(order);
  return theirs[0] || null;
}

/** Lower case, no diacritics ("Cà phê" → "ca phe"; "đ" → "d"), for matching what is typed. */
export function fold(text) {
  return String(text || "")
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase();
}

// Each catalogue's rows in SKU order, for the SKU prefix lookup (a binary search).
const bySku = new WeakMap();

/** Code-point order: the keys are already folded, and a collator is 10× slower on 20,000. */
const byText = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The search index of one price list: its priced, active products, by name.
 * @param {object[]} items the list's price items
 * @param {Map<string, object>} products by id
 * @returns {{product: object, price: string, key: string, sku: string}[]}
 */
export function buildCatalog(items, products) {
  const rows = [];
  for (const item of items) {
    const product = products.get(item.product_id);
    if (!product || product.is_active === false) continue;
    rows.push({ product, price: String(item.unit_price), sku: fold(product.sku), key: fold(`${product.name} ${product.sku}`) });
  }
  rows.sort((a, b) => byText(a.key, b.key));
  bySku.set(rows, [...rows].sort((a, b) => byText(a.sku, b.sku)));
  return rows;
}

/**
 * Products whose name or SKU holds every word typed: an exact SKU first, then SKUs starting
 * with it (in SKU order), then the rest by name; at most `limit`.
 *
 * Per keystroke it reads the SKUs starting with the first word (a binary search, then a run)
 * and names only until `limit` are found: a common word stops early, and only a query
 * matching fewer than `limit` reads every name (20,000 in well under 50 ms on a slow phone;
 * bench/phone_order_search.py).
 * @param {ReturnType<typeof buildCatalog>} catalog
 * @param {string} query
 * @param {number} [limit]
 */
export function searchCatalog(catalog, query, limit = 20) {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const [first] = words;
  const matches = (row) => words.every((w) => row.key.includes(w));
  const skus = bySku.get(catalog) ?? [...catalog].sort((a, b) => byText(a.sku, b.sku));
  let lo = 0;
  let hi = skus.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (skus[mid].sku < first) lo = mid + 1;
    else hi = mid;
  }
  const found = [];
  for (let i = lo; i < skus.length && found.length < limit && skus[i].sku.startsWith(first); i++) {
    if (matches(skus[i])) found.push(skus[i]); // the exact SKU sorts first of its run
  }
  const taken = new Set(found);
  for (const row of catalog) {
    if (found.length >= limit) break;
    if (!taken.has(row) && matches(row)) found.push(row);
  }
  return found;
}
