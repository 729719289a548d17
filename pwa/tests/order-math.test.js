// Issue 18: the phone's order arithmetic is the server's (fieldcrm/orders/totals.py and the
// cases of tests/fieldcrm/orders), the applicable price list is the server's rule, and the
// product search finds by name or SKU whatever the accents.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  buildCatalog,
  lineAmounts,
  minorToDecimal,
  orderTotals,
  priceListFor,
  searchCatalog,
  toScaled,
} from "../static/pwa/js/order-math.js";

const amounts = (line) => {
  const a = lineAmounts(line);
  return [minorToDecimal(a.net, line.digits), minorToDecimal(a.tax, line.digits)];
};

test("each line rounds half up to the currency's minor unit, as the server does", () => {
  const line = { quantity: "2.5", unitPrice: "0.45", taxRate: "7" };
  assert.deepEqual(amounts({ ...line, digits: 2 }), ["1.13", "0.08"]); // EUR
  assert.deepEqual(amounts({ ...line, digits: 0 }), ["1", "0"]); // JPY
  assert.deepEqual(amounts({ ...line, digits: 3 }), ["1.125", "0.079"]); // KWD
  // The API tests' quote: 3 × 3.35 (tax 10 %) and 1.5 × 12 − 10 % (tax 5 %).
  const tea = lineAmounts({ quantity: "3", unitPrice: "3.35", taxRate: "10", digits: 2 });
  const coffee = lineAmounts({ quantity: "1.5", unitPrice: "12", discount: "10", taxRate: "5", digits: 2 });
  const totals = orderTotals([tea, coffee]);
  assert.deepEqual([totals.net, totals.tax, totals.total].map((x) => minorToDecimal(x, 2)), ["26.25", "1.82", "28.07"]);
  // Dong: 1.5 × 85000 − 3 % = 123675, tax 10 % = 12367.5 → 12368.
  assert.deepEqual(amounts({ quantity: "1.5", unitPrice: "85000", discount: "3", taxRate: "10", digits: 0 }), ["123675", "12368"]);
});

test("quantities are read in every language's digits and refused when not positive", () => {
  assert.equal(toScaled("1,5", 3), 1500n);
  assert.equal(toScaled("۱٫۵", 3), 1500n);
  assert.equal(toScaled("12", 3), 12000n);
  assert.equal(toScaled("1.2345", 3), null);
  assert.equal(toScaled("-1", 3), null);
  assert.equal(toScaled("abc", 3), null);
  assert.equal(lineAmounts({ quantity: "0", unitPrice: "1", taxRate: "0", digits: 2 }), null);
});

test("the account's own list wins over its territory's, then the latest, then by name", () => {
  const lists = [
    { id: "t-old", name: "B", is_active: true, valid_from: "2026-01-01", territory_ids: [7], account_ids: [] },
    { id: "t-new", name: "C", is_active: true, valid_from: "2026-06-01", territory_ids: [7], account_ids: [] },
    { id: "future", name: "A", is_active: true, valid_from: "2027-01-01", territory_ids: [7], account_ids: [] },
    { id: "own", name: "Z", is_active: true, valid_until: "2026-12-31", territory_ids: [], account_ids: ["a1"] },
    { id: "off", name: "0", is_active: false, territory_ids: [7], account_ids: ["a1"] },
  ];
  assert.equal(priceListFor(lists, { id: "a1", territory_id: 7 }, "2026-12-03").id, "own");
  assert.equal(priceListFor(lists, { id: "a2", territory_id: 7 }, "2026-12-03").id, "t-new");
  assert.equal(priceListFor(lists, { id: "a1", territory_id: 7 }, "2027-01-02").id, "future");
  assert.equal(priceListFor(lists, { id: "a3", territory_id: null }, "2026-12-03"), null);
});

test("the search finds by name or SKU, accents or not, an exact SKU first", () => {
  const products = new Map(
    [
      { id: "1", sku: "CAF-2", name: "Cà phê sữa" },
      { id: "2", sku: "CAF", name: "Cà phê đen" },
      { id: "3", sku: "TEA-1", name: "Trà xanh" },
      { id: "4", sku: "OLD-1", name: "Cà phê cũ", is_active: false },
    ].map((p) => [p.id, p]),
  );
  const items = ["1", "2", "3", "4"].map((id) => ({ product_id: id, unit_price: "1" }));
  const catalog = buildCatalog(items, products);
  assert.deepEqual(searchCatalog(catalog, "ca phe").map((r) => r.product.id), ["2", "1"]);
  assert.deepEqual(searchCatalog(catalog, "caf").map((r) => r.product.sku), ["CAF", "CAF-2"]);
  assert.deepEqual(searchCatalog(catalog, "xanh").map((r) => r.product.id), ["3"]);
  assert.deepEqual(searchCatalog(catalog, "  "), []);
});

test("a SKU prefix finds its run in SKU order; names fill up to the limit and stop there", () => {
  const products = new Map();
  const items = [];
  for (let i = 0; i < 300; i++) {
    const id = String(i);
    products.set(id, { id, sku: `SKU-${String(299 - i).padStart(4, "0")}`, name: i % 2 ? "Trà xanh" : "Cà phê" });
    items.push({ product_id: id, unit_price: "1" });
  }
  const catalog = buildCatalog(items, products);
  const skus = (q, limit) => searchCatalog(catalog, q, limit).map((r) => r.product.sku);
  assert.deepEqual(skus("sku-001"), ["SKU-0010", "SKU-0011", "SKU-0012", "SKU-0013", "SKU-0014",
    "SKU-0015", "SKU-0016", "SKU-0017", "SKU-0018", "SKU-0019"]); // prettier-ignore
  assert.deepEqual(skus("sku-0012"), ["SKU-0012"]);
  // A second word filters the run: SKU-0010..0019 that are tea (odd i = 299 - n, n even).
  assert.deepEqual(skus("sku-001 tra"), ["SKU-0010", "SKU-0012", "SKU-0014", "SKU-0016", "SKU-0018"]);
  assert.equal(skus("ca phe", 5).length, 5);
  assert.deepEqual(skus("nothing"), []);
});
