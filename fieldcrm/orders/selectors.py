"""Reads of products, price lists and orders, all from the caller's scope.

Which price list applies to an account on a day: among the active lists valid that day
(``valid_from``/``valid_until`` inclusive, either may be open), one assigned to the account
itself wins; else one assigned to the account's territory. Several at the same level: the one
in the asked currency, then the most recently started (``valid_from``), then by name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from fieldcrm.access import get_scoped, phone_price_lists, scoped
from fieldcrm.accounts.models import Account
from fieldcrm.deals.models import Deal
from fieldcrm.orders.models import Order, OrderLine, PriceList, PriceListItem, Product
from fieldcrm.orders.schemas import OrderFilters, ProductFilters
from fieldcrm.territories.models import Territory
from fieldcrm.users.models import User


def product_list(*, actor: User, filters: ProductFilters) -> QuerySet[Product]:
    qs = scoped(Product, actor)
    if filters.q:
        qs = qs.filter(Q(sku__icontains=filters.q) | Q(name__icontains=filters.q))
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    return qs.order_by("sku", "id")


def product_get(*, actor: User, product_id: object) -> Product:
    return get_scoped(Product, actor, product_id)


def _price_lists(actor: User) -> QuerySet[PriceList]:
    items = Prefetch("items", queryset=PriceListItem.objects.select_related("product"))
    return (
        scoped(PriceList, actor)
        .prefetch_related(items, "accounts", "territories")
        .order_by("name", "id")
    )


def price_list_list(*, actor: User) -> QuerySet[PriceList]:
    return _price_lists(actor)


def price_list_get(*, actor: User, price_list_id: object) -> PriceList:
    found = get_scoped(PriceList, actor, price_list_id)
    return _price_lists(actor).get(pk=found.pk)


def valid_on(day: dt.date) -> Q:
    return (
        Q(is_active=True)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=day))
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))
    )


def price_list_for(
    *, account: Account, day: dt.date, currency: str | None = None
) -> PriceList | None:
    """The price list that applies to ``account`` on ``day`` (the rule in this module's
    docstring); the account was read through the caller's scope already."""
    lists = PriceList.objects.filter(valid_on(day))
    levels = [lists.filter(accounts=account)]
    if account.territory_id is not None:
        levels.append(lists.filter(territories=account.territory_id))
    for level in levels:
        candidates = sorted(
            level,
            key=lambda p: (
                p.currency != currency if currency else False,
                -(p.valid_from or dt.date.min).toordinal(),
                p.name,
            ),
        )
        if candidates:
            return candidates[0]
    return None


def prices_in(*, price_list: PriceList | None, product_ids: list[Any]) -> dict[Any, Any]:
    """Product id → unit price in ``price_list`` for the given products."""
    if price_list is None:
        return {}
    rows = PriceListItem.objects.filter(price_list=price_list, product_id__in=product_ids)
    return dict(rows.values_list("product_id", "unit_price"))


def order_list(*, actor: User, filters: OrderFilters) -> QuerySet[Order]:
    """The caller's orders and quotes, newest first, ties by number."""
    qs = scoped(Order, actor).select_related("account")
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.account is not None:
        qs = qs.filter(account_id=filters.account)
    if filters.deal is not None:
        qs = qs.filter(deal_id=filters.deal)
    return qs.order_by("-created_at", "-number")


def order_get(*, actor: User, order_id: object) -> Order:
    """One order with its lines in order (NotInScope when not the caller's)."""
    return order_detail(order=get_scoped(Order, actor, order_id))


def order_detail(*, order: Order) -> Order:
    """The order a service just wrote for the caller (so in their scope), with its lines."""
    lines = Prefetch("lines", queryset=OrderLine.objects.order_by("position"))
    return (
        Order.objects.select_related("account", "deal", "price_list", "created_by")
        .prefetch_related(lines)
        .get(pk=order.pk)
    )


def account_orders(*, actor: User, account: Account, limit: int = 50) -> list[Order]:
    """An account's orders and quotes for its page, newest first."""
    qs = scoped(Order, actor).filter(account=account).order_by("-created_at", "-number")
    return list(qs[:limit])


def products_for_lines() -> list[Product]:
    """The products a new line may name (every role reads the catalogue)."""
    return list(Product.objects.filter(is_active=True).order_by("sku"))


def order_form_choices(*, actor: User, account: Account) -> dict[str, Any]:
    """What a new order's form offers: the account's deals the caller may change, the price
    lists valid today, the active products."""
    deals = scoped(Deal, actor, write=True).filter(account=account).order_by("name", "pk")
    price_lists = PriceList.objects.filter(valid_on(timezone.localdate())).order_by("name")
    return {"deals": list(deals), "price_lists": list(price_lists)}


def price_list_form_choices(*, actor: User) -> dict[str, Any]:
    """What a price list's form offers: the caller's territories and (the first 1,000 of)
    accounts it may assign, and every product."""
    accounts = scoped(Account, actor, write=True).only("name").order_by("name", "pk")
    return {
        "territories": list(scoped(Territory, actor, write=True).order_by("name", "pk")),
        "accounts": list(accounts[:1000]),
        "products": list(Product.objects.order_by("sku")),
    }


def order_may_write(*, actor: User, order: Order) -> bool:
    return scoped(Account, actor, write=True).filter(pk=order.account_id).exists()


# --- What a phone caches (issue 18; README, "Orders on the phone") ---


def phone_price_items(*, actor: User, queryset: QuerySet) -> QuerySet:
    """The items of the price lists serving the caller's scope (access.phone_price_lists)."""
    ids = phone_price_lists(actor)
    return queryset if ids is None else queryset.filter(price_list_id__in=ids)


def phone_products(*, actor: User, queryset: QuerySet) -> QuerySet:
    """The products priced (now or once) in those lists: row by row a key lookup of the
    (price list, product) index, so the pull stays a range of change numbers."""
    ids = phone_price_lists(actor)
    if ids is None:
        return queryset
    priced = PriceListItem.all_objects.filter(price_list_id__in=ids, product_id=OuterRef("pk"))
    return queryset.filter(Exists(priced))


def phone_price_list_prefetch(qs: QuerySet) -> QuerySet:
    return qs.prefetch_related("accounts", "territories")


def phone_order_prefetch(qs: QuerySet) -> QuerySet:
    lines = Prefetch("lines", queryset=OrderLine.objects.order_by("position"))
    return qs.prefetch_related(lines)
