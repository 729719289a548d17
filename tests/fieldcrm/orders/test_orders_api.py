"""/api/v1/products, /price-lists, /orders through HTTP, as the personas."""

from decimal import Decimal

import pytest

from fieldcrm.accounts.models import Activity
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.orders.models import Order, OrderLine, PriceList, Product
from tests.factories import make_account


@pytest.fixture
def shop(world):
    """Three products, a EUR list for territory A, a VND list for one account of territory B."""
    products = [
        Product.objects.create(sku="TEA-1", name="Green tea", unit="box", tax_rate=Decimal("10")),
        Product.objects.create(sku="COF-1", name="Coffee", unit="kg", tax_rate=Decimal("5")),
        Product.objects.create(sku="CUP-1", name="Cups", unit="pc", tax_rate=Decimal("0")),
    ]
    a1 = make_account("Alpha", lng=1.02, lat=42.02)
    b1 = make_account("Gamma", lng=1.15, lat=42.05)
    s1 = make_account("South", lng=1.05, lat=41.05)
    eur = PriceList.objects.create(name="Retail EUR", currency="EUR")
    eur.territories.add(world.territory_a)
    for product, price in zip(products, ("3.35", "12.00", "0.10"), strict=True):
        eur.items.create(product=product, unit_price=Decimal(price))
    vnd = PriceList.objects.create(name="Gamma VND", currency="VND")
    vnd.accounts.add(b1)
    vnd.items.create(product=products[0], unit_price=Decimal("85000"))
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stage = Stage.objects.create(pipeline=pipeline, name="New", position=0)
    deal = Deal.objects.create(account=a1, name="Tea", pipeline=pipeline, stage=stage)
    return {"products": products, "a1": a1, "b1": b1, "s1": s1, "eur": eur, "vnd": vnd,
            "deal": deal}  # fmt: skip


def lines(shop, *rows):
    return [
        {"product_id": str(shop["products"][i].pk), "quantity": q, **extra} for i, q, extra in rows
    ]


def quote(client, shop, account="a1", **body):
    payload = {"kind": "quote", "account_id": str(shop[account].pk),
               "lines": lines(shop, (0, "3", {}), (1, "1.5", {"discount_percent": "10"})),
               **body}  # fmt: skip
    return client.post("orders", payload)


def test_a_quote_takes_its_prices_from_the_territorys_list_and_rounds_half_up(as_user, shop):
    response = quote(as_user("rep1"), shop)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("Q-") and body["number"].endswith("-0001")
    assert body["currency"] == "EUR" and body["price_list_id"] == str(shop["eur"].pk)
    tea, coffee = body["lines"]
    # 3 × 3.35 = 10.05, tax 10 % = 1.005 → 1.01 (half up); 1.5 × 12 − 10 % = 16.20, tax 0.81.
    assert (tea["net_amount"], tea["tax_amount"]) == ("10.05", "1.01")
    assert (coffee["net_amount"], coffee["tax_amount"]) == ("16.20", "0.81")
    assert (body["net_total"], body["tax_total"], body["total"]) == ("26.25", "1.82", "28.07")
    assert Activity.objects.filter(account=shop["a1"], kind="system").count() == 1


def test_the_accounts_own_list_wins_over_its_territorys_and_rounds_to_whole_dong(
    as_user, world, shop
):
    shop["eur"].territories.add(world.territory_b)
    response = as_user("rep2").post("orders", {
        "kind": "order", "account_id": str(shop["b1"].pk),
        "lines": lines(shop, (0, "1.5", {"discount_percent": "3"})),
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    # 1.5 × 85000 = 127500 − 3 % = 123675; tax 10 % = 12367.5 → 12368 (VND has no minor unit).
    assert body["currency"] == "VND" and body["number"].startswith("O-")
    assert (body["net_total"], body["tax_total"], body["total"]) == ("123675", "12368", "136043")


def test_numbers_have_no_gaps_per_kind_even_after_a_refused_creation(as_user, shop):
    client = as_user("manager")
    numbers = [quote(client, shop).json()["number"] for _ in range(2)]
    bad = quote(client, shop, lines=[{"product_id": str(shop["a1"].pk), "quantity": "1"}])
    assert bad.status_code == 422
    numbers.append(quote(client, shop).json()["number"])
    order = client.post("orders", {"kind": "order", "account_id": str(shop["a1"].pk)}).json()
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003"]
    assert order["number"][-4:] == "0001"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"product_id": "P0", "quantity": "-1"}]},
         ["body", "payload", "lines", 0, "quantity"]),
        ({"lines": [{"product_id": "P0", "quantity": "1", "discount_percent": "101"}]},
         ["body", "payload", "lines", 0, "discount_percent"]),
        ({"lines": [{"product_id": "P0", "quantity": "1e30"}]},
         ["body", "payload", "lines", 0, "quantity"]),
        ({"lines": [{"product_id": "00000000-0000-0000-0000-000000000001", "quantity": "1"}]},
         ["body", "lines", "0", "product_id"]),
        ({"price_list_id": "VND", "currency": "EUR"}, ["body", "price_list_id"]),
        ({"deal_id": 2**63}, ["body", "payload", "deal_id"]),
        ({"deal_id": 987654}, ["body", "deal_id"]),
        ({"currency": "ZZZ"}, ["body", "payload", "currency"]),
        ({"kind": "invoice"}, ["body", "payload", "kind"]),
        ({"lines": [{"product_id": "P2", "quantity": "1"}], "price_list_id": "VND"},
         ["body", "lines", "0", "unit_price"]),
    ],
)  # fmt: skip
def test_bad_input_is_a_422_naming_the_field_and_saves_nothing(as_user, shop, change, field):
    for line in change.get("lines", []):
        if line["product_id"].startswith("P"):
            line["product_id"] = str(shop["products"][int(line["product_id"][1])].pk)
    if change.get("price_list_id") == "VND":
        change["price_list_id"] = str(shop["vnd"].pk)
    response = quote(as_user("manager"), shop, **change)
    assert response.status_code == 422, response.content
    assert [d["loc"] for d in response.json()["detail"]][0] == field
    assert not Order.all_objects.exists() and not OrderLine.all_objects.exists()
    assert not Activity.objects.filter(kind="system").exists()


def test_a_quote_flows_draft_sent_accepted_and_sets_the_deals_amount(as_user, shop):
    client = as_user("rep1")
    order = quote(client, shop, deal_id=shop["deal"].pk).json()
    url = f"orders/{order['id']}/status"
    refused = client.post(url, {"status": "accepted"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "status"]
    assert client.post(url, {"status": "sent"}).json()["status"] == "sent"
    edit = client.patch(f"orders/{order['id']}", {"lines": []})
    assert edit.status_code == 422 and edit.json()["detail"][0]["loc"] == ["body", "lines"]
    assert client.post(url, {"status": "accepted"}).json()["status"] == "accepted"
    deal = Deal.objects.get(pk=shop["deal"].pk)
    assert (deal.amount, deal.currency) == (Decimal("28.07"), "EUR")
    assert client.post(url, {"status": "declined"}).status_code == 422


def test_a_deal_in_another_currency_is_refused(as_user, shop):
    Deal.objects.filter(pk=shop["deal"].pk).update(amount=Decimal("500"), currency="USD")
    response = quote(as_user("rep1"), shop, deal_id=shop["deal"].pk)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "deal_id"]
    assert "USD" in response.json()["detail"][0]["msg"]


def test_a_confirmed_order_is_append_only(as_user, shop):
    client = as_user("rep1")
    order = client.post("orders", {"kind": "order", "account_id": str(shop["a1"].pk),
                                   "lines": lines(shop, (0, "1", {}))}).json()  # fmt: skip
    assert client.post(f"orders/{order['id']}/status", {"status": "confirmed"}).status_code == 200
    assert (
        client.patch(f"orders/{order['id']}", {"lines": lines(shop, (1, "1", {}))}).status_code
        == 422
    )
    added = client.post(f"orders/{order['id']}/lines", {"lines": lines(shop, (2, "10", {}))})
    assert added.status_code == 200, added.content
    body = added.json()
    assert [line["position"] for line in body["lines"]] == [1, 2]
    assert body["total"] == "4.69"  # 3.35 + 0.34 tax + 1.00
    delivered = client.post(f"orders/{order['id']}/status", {"status": "delivered"})
    assert delivered.status_code == 200
    assert (
        client.post(f"orders/{order['id']}/lines", {"lines": lines(shop, (2, "1", {}))}).status_code
        == 422
    )


def test_a_rep_sees_only_their_accounts_orders(as_user, shop):
    mine = quote(as_user("rep1"), shop).json()
    quote(as_user("admin"), shop, account="s1", currency="EUR", price_list_id=str(shop["eur"].pk))
    listed = as_user("rep1").get("orders").json()
    assert [o["id"] for o in listed["items"]] == [mine["id"]]
    assert as_user("rep2").get(f"orders/{mine['id']}").status_code == 404
    assert as_user("manager").get("orders").json()["count"] == 1
    assert as_user("admin").get("orders").json()["count"] == 2
    assert (
        as_user("planner").post(f"orders/{mine['id']}/status", {"status": "sent"}).status_code
        == 403
    )


def test_only_managers_and_admins_keep_the_catalogue(as_user, shop):
    body = {"sku": "NEW-1", "name": "New", "tax_rate": "7.5"}
    assert as_user("rep1").post("products", body).status_code == 403
    created = as_user("manager").post("products", body)
    assert created.status_code == 201 and created.json()["tax_rate"] == "7.5"
    again = as_user("admin").post("products", body)
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "sku"]
    assert as_user("rep1").get("products").json()["count"] == 4
    price_list = as_user("manager").post("price-lists", {
        "name": "Wholesale", "currency": "USD", "account_ids": [str(shop["a1"].pk)],
        "items": [{"product_id": created.json()["id"], "unit_price": "2.5"}],
    })  # fmt: skip
    assert price_list.status_code == 201, price_list.content
    assert price_list.json()["items"][0]["sku"] == "NEW-1"
    outside = as_user("manager").post("price-lists", {
        "name": "South", "currency": "USD", "account_ids": [str(shop["s1"].pk)]})  # fmt: skip
    assert outside.status_code == 422
    assert outside.json()["detail"][0]["loc"] == ["body", "account_ids"]
    assert not PriceList.objects.filter(name="South").exists()


def _upload(client, text, **params):
    from django.core.files.uploadedfile import SimpleUploadedFile

    query = "&".join(f"{k}={str(v).lower()}" for k, v in params.items())
    upload = SimpleUploadedFile("products.csv", text.encode(), content_type="text/csv")
    return client.client.post(f"/api/v1/products/import?{query}", {"file": upload})


def test_products_import_with_a_dry_run_report_and_export_round_trips(as_user, shop):
    client = as_user("manager")
    text = "sku;name;tax_rate;is_active\nTEA-1;Green tea;10;yes\nNEW-1;Honey;7,5;no\nBAD;;x;\n"
    dry = _upload(client, text, dry_run=True)
    assert dry.status_code == 200, dry.content
    report = dry.json()
    assert report["counts"] == {"create": 1, "update": 0, "unchanged": 1, "invalid": 1}
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(4, "tax_rate")]
    assert not Product.objects.filter(sku="NEW-1").exists()
    refused = _upload(client, text)
    assert refused.status_code == 422 and not Product.objects.filter(sku="NEW-1").exists()
    saved = _upload(client, text.rsplit("BAD", 1)[0])
    assert saved.status_code == 200 and saved.json()["saved"]
    honey = Product.objects.get(sku="NEW-1")
    assert (honey.tax_rate, honey.is_active) == (Decimal("7.5"), False)
    exported = client.get("products/export.csv")
    assert exported.status_code == 200
    csv_text = exported.content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "sku,name,unit,tax_rate,is_active"
    assert "NEW-1,Honey,pc,7.5,false" in csv_text
    again = _upload(client, csv_text, dry_run=True).json()
    assert again["counts"]["unchanged"] == 4 and not again["errors"]
    assert client.get("products/export.xlsx").content.startswith(b"PK")
    assert _upload(as_user("rep1"), text, dry_run=True).status_code == 403
