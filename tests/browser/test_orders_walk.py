"""Quotes in Chromium (issue 18): a manager makes a quote of three lines from an account's
page, sends it and has it accepted, and the deal's amount becomes the quote's total; a rep sees
only the orders of their own accounts. Plain forms under the Content-Security-Policy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fieldcrm.deals.models import Deal
from fieldcrm.orders.models import Order
from tests.fieldcrm.orders.test_orders_api import shop  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser


def test_a_manager_quotes_three_lines_sends_and_accepts_it_and_the_deal_follows(
    laptops,
    world,
    shop,  # noqa: F811
):
    Order.objects.create(kind="order", number="O-2026-9001", account=shop["s1"], currency="EUR",
                         issued_on="2026-01-02")  # fmt: skip
    page = laptops("manager", f"/crm/accounts/{shop['a1'].pk}/")
    page.locator("#new-quote").click()
    form = page.locator("#order-form")
    form.get_by_label("Deal").select_option(label="Tea")
    tea, coffee, cups = shop["products"]
    for row, (product, quantity) in enumerate(((tea, "3"), (coffee, "1.5"), (cups, "100"))):
        form.locator(f"#id_lines-{row}-product").select_option(str(product.pk))
        form.locator(f"#id_lines-{row}-quantity").fill(quantity)
    form.locator("#id_lines-1-discount_percent").fill("10")
    page.locator("#order-save").click()
    page.locator("#order-lines").wait_for()
    assert page.locator("#order-lines tbody tr").count() == 3
    # 10.05 + 1.01 tax; 16.20 + 0.81 tax; 10.00 untaxed: 38.07.
    assert page.locator("#order-total").inner_text() == "38.07 EUR"
    page.locator("#status-sent").click()
    page.get_by_text("is now sent").wait_for()
    page.locator("#status-accepted").click()
    page.get_by_text("is now accepted").wait_for()
    assert page.locator("#order-status").inner_text() == "Accepted"
    deal = Deal.objects.get(pk=shop["deal"].pk)
    assert (deal.amount, deal.currency) == (Decimal("38.07"), "EUR")
    page.get_by_role("link", name="Tea").first.click()
    page.locator("#record-header").get_by_text("38.07 EUR").wait_for()

    rep = laptops("rep1", "/crm/accounts/")
    rep.locator("header.site-header nav").get_by_role("link", name="Orders and quotes").click()
    rep.wait_for_url("**/crm/orders/")
    numbers = rep.locator("#crm-orders tbody th a").all_inner_texts()
    assert numbers == [Order.objects.get(account=shop["a1"]).number]
    assert "O-2026-9001" not in rep.content()
    assert rep.locator("header.site-header nav").get_by_role("link", name="Products").count() == 0
