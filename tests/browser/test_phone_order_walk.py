"""Issue 18, the phone: a rep offline at a shop takes an order from the account card with the
price list cached on the phone (search by name or SKU, tap to add, − / + and typed quantities),
sees the total as they type, saves, reloads (still offline: it is kept), goes online: it syncs
once, the server has one order with those lines, the same total and a number, the card shows
the number, and the workspace's order page shows the order.

Taps are counted: from the card, a 10-line order is "Take order" + one per product + "Save",
plus the quantities (the search box keeps the focus, so names are typed, not tapped to).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from fieldcrm.orders.models import Order, OrderLine, Product
from tests.fieldcrm.orders.test_orders_api import shop  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser

# Every click on the page, counted by what it hit: quantity controls apart (tests only).
COUNT_TAPS = """() => {
  window.__taps = { other: 0, quantity: 0 };
  document.addEventListener('click', (e) => {
    const q = e.target.closest('.qty-row');
    window.__taps[q ? 'quantity' : 'other'] += 1;
  }, true);
}"""


@pytest.fixture
def catalogue(shop):  # noqa: F811
    """The shop's EUR list for territory A, with seven more products (ten in all)."""
    extra = []
    for i in range(1, 8):
        product = Product.objects.create(
            sku=f"SNK-{i}", name=f"Snack {i}", unit="pc", tax_rate=Decimal("8")
        )
        shop["eur"].items.create(product=product, unit_price=Decimal(f"1.{i}5"))
        extra.append(product)
    return {**shop, "extra": extra}


def test_a_ten_line_order_taken_offline_syncs_once_with_the_servers_total(
    phones, laptops, catalogue
):
    alpha = catalogue["a1"]
    phone = phones()
    phone.context.set_default_timeout(60_000)  # a loaded 2-core machine starts slowly
    phone.login("rep1")
    page = phone.page
    page.wait_for_function(
        "async () => (await globalThis.fieldcrm.db.allRecords('price_items')).length === 10"
    )
    phone.context.set_offline(True)
    page.evaluate("(hash) => { location.hash = hash; }", f"#/account/{alpha.pk}")
    page.get_by_role("heading", name="Alpha").wait_for()
    page.evaluate(COUNT_TAPS)

    page.get_by_role("link", name="Take order").click()
    page.get_by_role("heading", name="New order · Alpha").wait_for()
    search = page.get_by_label("Find a product (name or SKU)")
    assert page.evaluate("() => document.activeElement.id") == "product-search"
    results = page.locator("#product-results")

    def pick(typed: str, name: str) -> None:
        page.keyboard.type(typed)  # the search box has the focus: no tap to reach it
        results.get_by_role("button", name=re.compile(re.escape(name))).click()
        assert search.input_value() == ""

    pick("green", "Green tea")
    pick("COF-1", "Coffee")
    pick("cup", "Cups")
    for i in range(1, 8):
        pick(f"snk-{i}", f"Snack {i}")
    assert page.locator("#order-lines li.order-line").count() == 10
    # Quantities: + twice on the tea (3 boxes), typed for the coffee (1.5 kg) and the cups (7).
    plus_tea = page.get_by_role("button", name="One more Green tea")
    plus_tea.click()
    plus_tea.click()
    page.get_by_label("Quantity of Coffee").click()
    page.get_by_label("Quantity of Coffee").fill("1,5")  # a decimal comma is read too
    page.get_by_label("Quantity of Cups").click()
    page.get_by_label("Quantity of Cups").fill("0")
    assert page.locator("#qty-2-error").is_visible()  # refused at the field
    page.get_by_label("Quantity of Cups").fill("7")
    assert page.locator("#qty-2-error").is_hidden()
    # 3 × 3.35 = 10.05 + 1.01; 1.5 × 12 = 18.00 + 0.90; 7 × 0.10 = 0.70; the snacks at
    # 1.15, 1.25 … 1.75 each with 8 % tax: 10.15 net, 0.09 + 0.10 + … rounded per line.
    shown = page.locator("#order-total strong").inner_text()
    page.get_by_role("button", name="Save order").click()
    page.get_by_role("heading", name="Alpha").wait_for()
    taps = page.evaluate("() => window.__taps")
    # "Take order", ten products, "Save": 2 taps plus one per product (the brief: at most 3
    # plus one per product); the rest are the quantities (+ twice, one into each typed field).
    assert taps == {"other": 12, "quantity": 4}, taps
    page.locator("#account-orders").get_by_text("Order (not sent yet)").wait_for()
    assert page.locator("#account-orders .order-sum").inner_text() == shown

    # Reloaded offline: still there, still queued; nothing reached the server.
    page.reload()
    phone.wait_ready()
    page.get_by_role("heading", name="Alpha").wait_for()
    page.locator("#account-orders").get_by_text("Order (not sent yet)").wait_for()
    phone.wait_pending(1)
    assert not Order.objects.exists()

    phone.synced_after(lambda: phone.context.set_offline(False))
    assert page.locator("#rejected-count").count() == 0  # nothing refused
    order = Order.objects.get()
    assert OrderLine.objects.filter(order=order).count() == 10
    assert (order.account_id, order.kind, order.created_by.username) == (alpha.pk, "order", "rep1")
    assert f"{order.money(order.total)} EUR" == shown  # the phone's total is the server's
    assert re.fullmatch(r"O-\d{4}-0001", order.number)
    quantities = dict(OrderLine.objects.filter(order=order).values_list("description", "quantity"))
    assert (quantities["Green tea"], quantities["Coffee"], quantities["Cups"]) == (
        Decimal("3"), Decimal("1.5"), Decimal("7"),
    )  # fmt: skip
    # The card shows the number from the server.
    page.locator("#account-orders .order-number").filter(has_text=order.number).wait_for()

    desk = laptops("rep1", f"/crm/orders/{order.pk}/")
    assert order.number in desk.locator("#record-name").inner_text()
    assert desk.locator("#order-lines tbody tr").count() == 10
    assert desk.locator("#order-total").inner_text() == shown
