"""Order arithmetic and numbering, at the service level where the rules are dense."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from fieldcrm.orders.models import Order
from fieldcrm.orders.services import order_create
from fieldcrm.orders.totals import LineAmounts, line_amounts, minor_unit, order_totals
from tests.fieldcrm.orders.test_orders_api import shop  # noqa: F401  (a fixture)


@pytest.mark.parametrize(
    ("currency", "unit", "net", "tax"),
    [
        # 2.5 × 0.45 = 1.125 → 1.13 (half up, not half even); tax 7 % of 1.13 = 0.0791 → 0.08.
        ("EUR", "0.01", "1.13", "0.08"),
        ("JPY", "1", "1", "0"),  # no minor unit: 1.125 → 1, tax 0.07 → 0
        ("KWD", "0.001", "1.125", "0.079"),  # three decimals
    ],
)
def test_each_line_rounds_half_up_to_the_currencys_minor_unit(currency, unit, net, tax):
    assert minor_unit(currency) == Decimal(unit)
    amounts = line_amounts(
        quantity=Decimal("2.5"), unit_price=Decimal("0.45"), discount_percent=Decimal("0"),
        tax_rate=Decimal("7"), currency=currency,
    )  # fmt: skip
    assert (amounts.net, amounts.tax) == (Decimal(net), Decimal(tax))
    assert amounts.total == amounts.net + amounts.tax


def test_the_totals_add_up_the_rounded_lines():
    # Three lines of 0.005 tax each: the rounded lines (0.01 each) add up to 0.03, the sum
    # rounded once would be 0.02; the document shows lines, so it adds what it shows.
    line = LineAmounts(net=Decimal("0.05"), tax=Decimal("0.01"), total=Decimal("0.06"))
    totals = order_totals([line, line, line], "EUR")
    assert (totals.net, totals.tax, totals.total) == (
        Decimal("0.15"), Decimal("0.03"), Decimal("0.18"),
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_two_orders_created_at_once_get_consecutive_numbers(world, shop):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (SQLite's test database is one shared memory DB)")
    barrier, numbers, errors = threading.Barrier(4), [], []

    def create(user):
        try:
            barrier.wait()
            order = order_create(actor=user, data={
                "kind": "order", "account_id": shop["a1"].pk,
                "lines": [{"product_id": shop["products"][0].pk, "quantity": Decimal(1)}],
            })  # fmt: skip
            numbers.append(order.number)
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(repr(exc))
        finally:
            connection.close()

    users = [world.manager, world.rep1, world.admin, world.manager]
    threads = [threading.Thread(target=create, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(n[-4:] for n in numbers) == ["0001", "0002", "0003", "0004"]
    assert Order.objects.count() == 4
