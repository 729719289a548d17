# ruff: noqa: F811  (the shop fixture, imported, is every test's argument)
"""Orders on the phone (issue 18): the cached catalogue is scoped to the price lists serving
the rep's accounts, an order taken offline syncs once with totals and a number from the
server, refusals name their field and leave nothing behind, a confirmed order takes no edit."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.test import Client

from fieldcrm.orders.models import Order, OrderLine
from fieldcrm.orders.services import order_set_status, price_list_update
from fieldcrm.sync.models import AppliedOp
from fieldcrm.users.models import User
from tests.conftest import ApiClient
from tests.fieldcrm.orders.test_orders_api import shop  # noqa: F401  (a fixture)
from tests.fieldcrm.sync.test_sync import op, pull_all, push


def order_op(shop, account="a1", record_id=None, **fields):
    lines = [
        {"product_id": str(shop["products"][0].pk), "quantity": "3"},
        {"product_id": str(shop["products"][1].pk), "quantity": "1.5"},
        {"product_id": str(shop["products"][2].pk), "quantity": "7"},
    ]
    body = {"kind": "order", "account_id": str(shop[account].pk), "lines": lines,
            "price_list_id": str(shop["eur"].pk), **fields}  # fmt: skip
    return op("order", "create", record_id, fields=body)


def test_a_rep_caches_only_the_price_lists_serving_their_accounts(as_user, shop):
    view, _cursor = pull_all(as_user("rep1"))
    skus = {p["sku"] for p in view["changes"]["products"]}
    assert skus == {"TEA-1", "COF-1", "CUP-1"}
    items = view["changes"]["price_items"]
    assert {i["price_list_id"] for i in items} == {str(shop["eur"].pk)}
    assert {i["unit_price"] for i in items} == {"3.35", "12", "0.1"}
    # Every list's header (a few rows): which one applies is decided on the phone.
    lists = {p["name"]: p for p in view["changes"]["price_lists"]}
    assert lists["Retail EUR"]["digits"] == 2 and lists["Gamma VND"]["digits"] == 0
    assert lists["Retail EUR"]["territory_ids"] == [shop["eur"].territories.get().pk]
    # rep2 works territory B, where only Gamma has a list (its own, in dong, for tea).
    view2, _ = pull_all(as_user("rep2"))
    assert {p["sku"] for p in view2["changes"]["products"]} == {"TEA-1"}
    assert [i["unit_price"] for i in view2["changes"]["price_items"]] == ["85000"]


def test_a_list_reaching_a_territory_reaches_its_reps_phones(as_user, world, shop):
    rep2 = as_user("rep2")
    _view, cursor = pull_all(rep2)
    price_list_update(
        actor=world.admin, price_list_id=shop["eur"].pk,
        data={"territory_ids": [world.territory_a.pk, world.territory_b.pk]},
    )  # fmt: skip
    view, cursor = pull_all(rep2, cursor)
    assert len(view["changes"]["price_items"]) == 3
    assert {p["sku"] for p in view["changes"]["products"]} == {"TEA-1", "COF-1", "CUP-1"}
    # A rep joining a territory gets its lists' items and products too.
    rep3 = as_user("rep3")
    _view, cursor3 = pull_all(rep3)
    world.territory_a.reps.add(world.rep3)
    view3, _ = pull_all(rep3, cursor3)
    assert len(view3["changes"]["price_items"]) == 3
    assert len(view3["changes"]["products"]) == 3


def test_an_order_taken_offline_is_created_once_numbered_and_totalled_by_the_server(
    as_user, shop,
):  # fmt: skip
    rep1 = as_user("rep1")
    # The phone's own totals, if it sends them, are not the server's business: it recomputes.
    create = order_op(shop, notes="Back door", net_total="1.00", total="1.00")
    first, again = push(rep1, create)[0], push(rep1, create)[0]
    retry = push(rep1, {**create, "op_id": str(uuid.uuid4())})[0]
    assert (first["status"], again["status"], retry["status"]) == (
        "applied", "already_applied", "already_applied",
    )  # fmt: skip
    order = Order.objects.get()
    assert str(order.pk) == create["id"] == first["id"]
    # 3 × 3.35 = 10.05 (+1.01 tax); 1.5 × 12 = 18.00 (+0.90); 7 × 0.10 = 0.70 (+0).
    record = first["record"]
    assert (record["net_total"], record["tax_total"], record["total"]) == (
        "28.75", "1.91", "30.66",
    )  # fmt: skip
    assert record["number"].startswith("O-") and record["status"] == "draft"
    assert [line["position"] for line in record["lines"]] == [1, 2, 3]
    assert OrderLine.objects.filter(order=order).count() == 3
    # It comes back in the pull, lines included (the phone shows the number from there).
    view, _ = pull_all(rep1)
    pulled = view["changes"]["orders"]
    assert [o["number"] for o in pulled] == [order.number]
    assert len(pulled[0]["lines"]) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"product_id": "P0", "quantity": "-2"}]}, "lines.0.quantity"),
        ({"lines": [{"product_id": str(uuid.uuid4()), "quantity": "1"}]}, "lines.0.product_id"),
        ({"currency": "VND"}, "price_list_id"),  # the list is in euros
        ({"account_id": "b1"}, "account_id"),  # territory B: not rep1's
        ({"kind": "invoice"}, "kind"),
        ({"price_list_id": str(uuid.uuid4())}, "price_list_id"),
    ],
)
def test_a_bad_order_is_refused_naming_its_field_and_leaves_nothing(
    as_user,
    shop,
    change,
    field,
):
    create = order_op(shop)
    fields = {**create["fields"], **change}
    if change.get("account_id") == "b1":
        fields["account_id"] = str(shop["b1"].pk)
    if "lines" in change and change["lines"][0]["product_id"] == "P0":
        fields["lines"] = [{**change["lines"][0], "product_id": str(shop["products"][0].pk)}]
    result = push(as_user("rep1"), {**create, "fields": fields})[0]
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == field, result
    assert not Order.all_objects.exists() and not OrderLine.all_objects.exists()
    assert AppliedOp.objects.get().status == "rejected"


def test_orders_are_seen_where_their_account_is(as_user, world, shop):
    create = order_op(shop)
    push(as_user("rep1"), create)
    view2, _ = pull_all(as_user("rep2"))
    assert "orders" not in view2["changes"]
    # An edit of it by a rep who cannot see it: the same answer as a missing order.
    edit = op("order", "update", create["id"], base_version=1,
              changes={"notes": {"old": "", "new": "mine"}})  # fmt: skip
    missing = op("order", "update", uuid.uuid4(), base_version=1,
                 changes={"notes": {"old": "", "new": "mine"}})  # fmt: skip
    theirs, none = push(as_user("rep2"), edit, missing)
    assert theirs["status"] == none["status"] == "rejected"
    assert theirs["errors"] == none["errors"]
    view_m, _ = pull_all(as_user("manager"))
    assert len(view_m["changes"]["orders"]) == 1


def test_a_draft_is_edited_by_its_author_until_it_is_confirmed(as_user, world, shop):
    rep1 = as_user("rep1")
    create = order_op(shop)
    record = push(rep1, create)[0]["record"]
    tea = str(shop["products"][0].pk)
    edit = op("order", "update", create["id"], base_version=record["version"], changes={
        "lines": {"old": None, "new": [{"product_id": tea, "quantity": "10"}]},
        "notes": {"old": "", "new": "Ten boxes"},
    })  # fmt: skip
    result = push(rep1, edit)[0]
    assert result["status"] == "applied", result
    assert (result["record"]["total"], result["record"]["notes"]) == ("36.85", "Ten boxes")
    assert OrderLine.objects.filter(order_id=create["id"]).count() == 1
    # Someone else who may change the account: not from a phone.
    other = User.objects.create(username="rep1b", role=User.Role.REP)
    world.territory_a.reps.add(other)
    by_other = push(ApiClient(Client(), other), op(
        "order", "update", create["id"], base_version=result["version"],
        changes={"notes": {"old": "Ten boxes", "new": "Nine"}},
    ))[0]  # fmt: skip
    assert by_other["status"] == "rejected" and by_other["errors"][0]["field"] == "id"
    # The office confirms it: from now on it is append-only, and the phone is told so,
    # whatever version its edit was based on (never a silent conflict).
    order_set_status(actor=world.manager, order_id=create["id"], status="confirmed")
    for base in (result["version"], result["version"] + 1):
        refused = push(rep1, op("order", "update", create["id"], base_version=base, changes={
            "notes": {"old": "Ten boxes", "new": "Eleven"},
        }))[0]  # fmt: skip
        assert refused["status"] == "rejected", refused
        assert refused["errors"][0]["field"] == "status"
        assert "confirmed" in refused["errors"][0]["msg"]
    order = Order.objects.get()
    assert (order.notes, order.total) == ("Ten boxes", Decimal("36.85"))


def test_the_phone_may_confirm_its_own_draft(as_user, shop):
    rep1 = as_user("rep1")
    create = order_op(shop)
    record = push(rep1, create)[0]["record"]
    confirm = op("order", "update", create["id"], base_version=record["version"],
                 changes={"status": {"old": "draft", "new": "confirmed"}})  # fmt: skip
    result = push(rep1, confirm)[0]
    assert result["status"] == "applied" and result["record"]["status"] == "confirmed"


def test_the_catalogue_is_not_the_phones_to_change(as_user, shop):
    rep1 = as_user("rep1")
    product = shop["products"][0]
    create, edit = push(
        rep1,
        op("product", "create", fields={}),
        op("product", "update", product.pk, base_version=1,
           changes={"name": {"old": product.name, "new": "<b>x</b>"}}),
    )  # fmt: skip
    assert create["status"] == edit["status"] == "rejected"
    assert create["errors"][0]["field"] == edit["errors"][0]["field"] == "id"
    product.refresh_from_db()
    assert product.name == "Green tea"
