"""Product, price list, order and quote API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import Field

from fieldcrm.core.schemas import Currency, Input
from fieldcrm.orders.models import (
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    PriceList,
    PriceListItem,
    Product,
)
from fieldcrm.orders.totals import minor_unit

Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
UnitPrice = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]


class ProductIn(Input):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field("pc", min_length=1, max_length=20)
    tax_rate: Percent = Decimal("0")
    is_active: bool = True


class ProductPatch(Input):
    sku: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    unit: str | None = Field(default=None, min_length=1, max_length=20)
    tax_rate: Percent | None = None
    is_active: bool | None = None


class ProductOut(Schema):
    id: uuid.UUID
    sku: str
    name: str
    unit: str
    tax_rate: Decimal
    is_active: bool
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_tax_rate(obj: Product) -> Decimal:
        return plain(obj.tax_rate)


class ProductFilters(Input):
    q: str | None = Field(default=None, max_length=100, description="In SKU or name.")
    active: bool | None = None


class PriceItemIn(Input):
    product_id: uuid.UUID
    unit_price: UnitPrice


class PriceItemOut(Schema):
    product_id: uuid.UUID
    sku: str
    unit_price: Decimal

    @staticmethod
    def resolve_sku(obj: PriceListItem) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_unit_price(obj: PriceListItem) -> Decimal:
        return plain(obj.unit_price)


class PriceListIn(Input):
    name: str = Field(min_length=1, max_length=120)
    currency: Currency
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    is_active: bool = True
    account_ids: list[uuid.UUID] = Field(default_factory=list, max_length=2000)
    territory_ids: list[int] = Field(default_factory=list, max_length=500)
    items: list[PriceItemIn] = Field(default_factory=list, max_length=20_000)


class PriceListPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    currency: Currency | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    is_active: bool | None = None
    account_ids: list[uuid.UUID] | None = Field(default=None, max_length=2000)
    territory_ids: list[int] | None = Field(default=None, max_length=500)
    items: list[PriceItemIn] | None = Field(
        default=None, max_length=20_000, description="Replaces every item."
    )


class PriceListOut(Schema):
    id: uuid.UUID
    name: str
    currency: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    is_active: bool
    account_ids: list[uuid.UUID]
    territory_ids: list[int]
    items: list[PriceItemOut]
    version: int

    @staticmethod
    def resolve_account_ids(obj: object) -> list:
        return [a.pk for a in obj.accounts.all()]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_territory_ids(obj: object) -> list:
        return [t.pk for t in obj.territories.all()]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_items(obj: object) -> list:
        return list(obj.items.all())  # type: ignore[attr-defined]


class OrderLineIn(Input):
    product_id: uuid.UUID
    quantity: Quantity
    unit_price: UnitPrice | None = Field(
        default=None, description="Default: the price in the order's price list."
    )
    discount_percent: Percent = Decimal("0")


class OrderIn(Input):
    id: uuid.UUID | None = Field(default=None, description="Client-generated (the phone's).")
    kind: OrderKind
    account_id: uuid.UUID
    deal_id: int | None = None
    price_list_id: uuid.UUID | None = Field(
        default=None, description="Default: the account's applicable price list."
    )
    currency: Currency | None = Field(
        default=None, description="Default: the price list's, else the installation's."
    )
    notes: str = Field("", max_length=10_000)
    lines: list[OrderLineIn] = Field(default_factory=list, max_length=500)


class OrderPatch(Input):
    deal_id: int | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    lines: list[OrderLineIn] | None = Field(
        default=None, max_length=500, description="Replaces every line (drafts only)."
    )


class OrderLinesIn(Input):
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)


class OrderStatusIn(Input):
    status: OrderStatus


class OrderLineOut(Schema):
    id: uuid.UUID
    position: int
    product_id: uuid.UUID
    description: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal


class OrderOut(Schema):
    id: uuid.UUID
    kind: str
    number: str
    status: str
    account_id: uuid.UUID
    deal_id: int | None
    price_list_id: uuid.UUID | None
    currency: str
    issued_on: dt.date
    notes: str
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    lines: list[OrderLineOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    # Amounts are shown to the currency's minor units ("28.07" EUR, "136043" VND).
    @staticmethod
    def resolve_net_total(obj: Order) -> Decimal:
        return obj.money(obj.net_total)

    @staticmethod
    def resolve_tax_total(obj: Order) -> Decimal:
        return obj.money(obj.tax_total)

    @staticmethod
    def resolve_total(obj: Order) -> Decimal:
        return obj.money(obj.total)

    @staticmethod
    def resolve_lines(obj: Order) -> list[dict]:
        return [line_out(obj, line) for line in obj.lines.all()]


def plain(value: Decimal) -> Decimal:
    """A quantity or a price without trailing zeros (3.000 → 3, 3.3500 → 3.35)."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def line_out(order: Order, line: OrderLine) -> dict:
    return {
        **{f: getattr(line, f) for f in ("id", "position", "product_id", "description", "unit")},
        "quantity": plain(line.quantity), "unit_price": plain(line.unit_price),
        "discount_percent": plain(line.discount_percent), "tax_rate": plain(line.tax_rate),
        "net_amount": order.money(line.net_amount), "tax_amount": order.money(line.tax_amount),
        "total_amount": order.money(line.total_amount),
    }  # fmt: skip


class OrderSummaryOut(Schema):
    id: uuid.UUID
    kind: str
    number: str
    status: str
    account_id: uuid.UUID
    deal_id: int | None
    currency: str
    issued_on: dt.date
    total: Decimal

    @staticmethod
    def resolve_total(obj: Order) -> Decimal:
        return obj.money(obj.total)


class OrderFilters(Input):
    kind: OrderKind | None = None
    status: OrderStatus | None = None
    account: uuid.UUID | None = None
    deal: int | None = None


# --- What a phone caches (issue 18): the price lists without their items, the items on
# their own (each pulled when it changes), the products they price. ---


class PriceListSyncOut(Schema):
    id: uuid.UUID
    name: str
    currency: str
    # The currency's minor-unit digits (CLDR through Babel): the phone rounds to them.
    digits: int
    valid_from: dt.date | None
    valid_until: dt.date | None
    is_active: bool
    account_ids: list[uuid.UUID]
    territory_ids: list[int]
    version: int

    @staticmethod
    def resolve_digits(obj: PriceList) -> int:
        return -minor_unit(obj.currency).as_tuple().exponent  # type: ignore[operator]

    @staticmethod
    def resolve_account_ids(obj: PriceList) -> list:
        return [a.pk for a in obj.accounts.all()]

    @staticmethod
    def resolve_territory_ids(obj: PriceList) -> list:
        return [t.pk for t in obj.territories.all()]


class PriceItemSyncOut(Schema):
    id: uuid.UUID
    price_list_id: uuid.UUID
    product_id: uuid.UUID
    unit_price: Decimal
    version: int

    @staticmethod
    def resolve_unit_price(obj: PriceListItem) -> Decimal:
        return plain(obj.unit_price)


class CatalogCreate(Input):
    """The phone never creates catalogue rows: any create is refused (naming ``id``)."""

    id: uuid.UUID | None = None
