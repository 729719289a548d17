"""Order arithmetic: ``Decimal`` only, with one stated rounding.

Each line: net = quantity × unit price × (1 − discount/100), rounded; tax = net × tax rate/100,
rounded; total = net + tax. Rounding is ROUND_HALF_UP to the currency's minor units (CLDR's
digits through Babel: 2 for EUR, 0 for JPY and VND, 3 for KWD). An order's totals are the sums
of its lines' rounded amounts, so the lines shown always add up to the total shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import get_currency_precision

HUNDRED = Decimal("100")


@lru_cache(maxsize=512)
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: Decimal("0.01") for EUR, Decimal("1") for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(
    *, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal,
    currency: str,
) -> LineAmounts:  # fmt: skip
    gross = quantity * unit_price
    net = round_money(gross - gross * discount_percent / HUNDRED, currency)
    tax = round_money(net * tax_rate / HUNDRED, currency)
    return LineAmounts(net=net, tax=tax, total=net + tax)


def order_totals(lines: list[LineAmounts], currency: str) -> LineAmounts:
    """The sums of the lines' rounded amounts (all in the order's one currency)."""
    zero = round_money(Decimal(0), currency)
    net = sum((line.net for line in lines), zero)
    tax = sum((line.tax for line in lines), zero)
    return LineAmounts(net=net, tax=tax, total=net + tax)
