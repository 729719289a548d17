"""The workspace's order, quote and catalogue pages, through plain HTML forms (no script)."""

from decimal import Decimal

import pytest
from django.test import Client

from fieldcrm.deals.models import Deal
from fieldcrm.orders.models import Order, PriceList, Product
from tests.fieldcrm.orders.test_orders_api import shop  # noqa: F401  (a fixture)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def form_lines(*rows):
    data = {"lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "0"}
    for i, (product, quantity, *rest) in enumerate(rows):
        data[f"lines-{i}-product"] = str(product.pk)
        data[f"lines-{i}-quantity"] = quantity
        if rest:
            data[f"lines-{i}-unit_price"] = rest[0]
    return data


def test_a_manager_makes_a_quote_from_the_account_page_and_accepts_it(world, shop):  # noqa: F811
    client = client_for(world.manager)
    page = client.get(f"/crm/accounts/{shop['a1'].pk}/").content.decode()
    assert "new-quote" in page and "new-order" in page
    url = f"/crm/accounts/{shop['a1'].pk}/orders/new"
    assert client.get(url + "?kind=quote").status_code == 200
    tea, coffee, cups = shop["products"]
    body = {"kind": "quote", "deal": shop["deal"].pk, **form_lines((tea, "3"), (coffee, "1.5"))}
    response = client.post(url, body)
    assert response.status_code == 302, response.content.decode()
    order = Order.objects.get()
    page = client.get(response["Location"]).content.decode()
    # Net 10.05 + 18.00; tax 1.005 → 1.01 and 0.90.
    assert order.number in page and "29.96 EUR" in page
    for status in ("sent", "accepted"):
        client.post(f"/crm/orders/{order.pk}/status", {"status": status})
    order.refresh_from_db()
    assert order.status == "accepted"
    assert Deal.objects.get(pk=shop["deal"].pk).amount == order.total
    timeline = client.get(f"/crm/accounts/{shop['a1'].pk}/").content.decode()
    assert timeline.count(order.number) >= 3  # the orders card and two timeline entries


def test_a_refused_line_shows_the_form_again_at_that_row_and_saves_nothing(world, shop):  # noqa: F811
    client = client_for(world.manager)
    stray = Product.objects.create(sku="NOP-1", name="Not priced")
    url = f"/crm/accounts/{shop['a1'].pk}/orders/new"
    response = client.post(
        url, {"kind": "order", **form_lines((shop["products"][0], "1"), (stray, "2"))}
    )
    assert response.status_code == 400
    assert "NOP-1 has no price" in response.content.decode()
    negative = client.post(url, {"kind": "order", **form_lines((stray, "-2", "1"))})
    assert negative.status_code == 400 and not Order.all_objects.exists()


def test_a_wrong_transition_is_a_message_not_a_change(world, shop):  # noqa: F811
    client = client_for(world.rep1)
    url = f"/crm/accounts/{shop['a1'].pk}/orders/new"
    client.post(url, {"kind": "order", **form_lines((shop["products"][0], "1"))})
    order = Order.objects.get()
    page = client.post(f"/crm/orders/{order.pk}/status", {"status": "delivered"}, follow=True)
    assert "cannot go from" in page.content.decode()
    order.refresh_from_db()
    assert order.status == "draft"


@pytest.mark.parametrize("persona", ["rep1", "planner"])
def test_the_catalogue_pages_are_for_managers_and_admins(world, shop, persona):  # noqa: F811
    client = client_for(getattr(world, persona))
    for url in ("/crm/products/", "/crm/price-lists/", "/crm/products/new"):
        assert client.get(url).status_code == 403


def test_a_manager_keeps_products_and_a_price_list_on_the_pages(world, shop):  # noqa: F811
    client = client_for(world.manager)
    created = client.post("/crm/products/new", {"sku": "JAM-1", "name": "Jam", "unit": "jar",
                                                 "tax_rate": "7", "is_active": "on"})  # fmt: skip
    assert created.status_code == 302
    jam = Product.objects.get(sku="JAM-1")
    duplicate = client.post("/crm/products/new", {"sku": "JAM-1", "name": "Jam", "unit": "jar",
                                                   "tax_rate": "7"})  # fmt: skip
    assert duplicate.status_code == 400
    saved = client.post(f"/crm/price-lists/{shop['eur'].pk}/", {
        "name": "Retail EUR", "currency": "EUR", "is_active": "on",
        "territories": [world.territory_a.pk], f"price_{jam.pk}": "4.20",
        f"price_{shop['products'][0].pk}": "3.35",
    })  # fmt: skip
    assert saved.status_code == 302, saved.content.decode()
    prices = dict(
        PriceList.objects.get(pk=shop["eur"].pk).items.values_list("product__sku", "unit_price")
    )
    assert prices == {"JAM-1": Decimal("4.2000"), "TEA-1": Decimal("3.3500")}
    assert "JAM-1" in client.get("/crm/products/").content.decode()
