"""Writes to products, price lists, and orders and quotes (create, lines, status).

Rules stated once here:
- An order's currency is its price list's; a price list given in another currency than the
  one asked for is refused (``price_list_id``). Without a price list a line needs its price.
- Lines change only while the order or quote is a draft (replaced as a whole); a confirmed
  order is append-only: new lines may be added, none edited or removed (a correction is a new
  line or a cancellation), so it never conflicts when phones sync it.
- Numbers: Q-YYYY-NNNN for quotes, O-YYYY-NNNN for orders, without gaps per kind and year,
  taken from a counter row locked in the creating transaction (a rollback gives it back).
- An accepted quote linked to a deal sets the deal's amount and currency to the quote's total;
  a deal that already has an amount in another currency is refused (``deal_id``), since
  amounts in different currencies are never added or replaced by one another.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, can_create, get_scoped, scoped
from fieldcrm.accounts.models import Account, Activity, ActivityKind
from fieldcrm.core.errors import DomainError
from fieldcrm.core.models import insert_many, one_change_number, touch, update_many, validate
from fieldcrm.core.money import CENT, default_currency
from fieldcrm.deals.models import Deal
from fieldcrm.orders.models import (
    NumberCounter,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    PriceList,
    PriceListItem,
    Product,
)
from fieldcrm.orders.selectors import price_list_for, prices_in, valid_on
from fieldcrm.orders.totals import LineAmounts, line_amounts, order_totals
from fieldcrm.territories.models import Territory
from fieldcrm.users.models import User


def _refuse_empty(data: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name in data and data[name] is None:
            raise DomainError(name, _("This field cannot be empty."))


# --- Products ---


@transaction.atomic
def product_create(*, actor: User, data: dict[str, Any]) -> Product:
    """A product (managers and admins); its SKU is unique."""
    if not can_create(Product, actor):
        raise NotAllowed(_("Your role may not change products."))
    product = Product(**data)
    validate(product)
    product.save()
    return product


@transaction.atomic
def product_update(*, actor: User, product_id: object, data: dict[str, Any]) -> Product:
    product = get_scoped(Product, actor, product_id, write=True)
    _refuse_empty(data, ("sku", "name", "unit", "tax_rate", "is_active"))
    for name, value in data.items():
        setattr(product, name, value)
    validate(product)
    product.save()
    return product


# --- Price lists ---


def _assignments(actor: User, data: dict[str, Any]) -> tuple[list[Account], list[Territory]]:
    account_ids = data.get("account_ids") or []
    accounts = list(scoped(Account, actor, write=True).filter(pk__in=account_ids))
    if len(accounts) != len(set(account_ids)):
        raise DomainError("account_ids", _("No such account in your scope."))
    territory_ids = data.get("territory_ids") or []
    territories = list(scoped(Territory, actor, write=True).filter(pk__in=territory_ids))
    if len(territories) != len(set(territory_ids)):
        raise DomainError("territory_ids", _("No such territory in your scope."))
    return accounts, territories


def _assign(actor: User, price_list: PriceList, data: dict[str, Any]) -> None:
    """Set the accounts and territories the caller names; assignments outside the caller's
    scope (made by someone who sees more) are kept."""
    accounts, territories = _assignments(actor, data)
    if data.get("account_ids") is not None:
        mine = scoped(Account, actor, write=True).values("pk")
        kept = list(price_list.accounts.exclude(pk__in=mine))
        price_list.accounts.set([*kept, *accounts])
    if data.get("territory_ids") is not None:
        mine = scoped(Territory, actor, write=True).values("pk")
        kept_t = list(price_list.territories.exclude(pk__in=mine))
        price_list.territories.set([*kept_t, *territories])


def _set_items(price_list: PriceList, items: list[dict[str, Any]]) -> None:
    """The list's items become ``items``: prices change in place, missing ones are deleted
    (tombstones for the phones), a product named twice is refused."""
    ids = [item["product_id"] for item in items]
    if len(set(ids)) != len(ids):
        raise DomainError("items", _("A product is listed twice."))
    known = set(Product.objects.filter(pk__in=ids).values_list("pk", flat=True))
    for i, item in enumerate(items):
        if item["product_id"] not in known:
            raise DomainError(f"items.{i}.product_id", _("No such product."))
    current = {
        row.product_id: row for row in PriceListItem.all_objects.filter(price_list=price_list)
    }
    changed, new = [], []
    for item in items:
        row = current.pop(item["product_id"], None)
        if row is None:
            new.append(PriceListItem(price_list=price_list, **item))
        elif row.unit_price != item["unit_price"] or row.deleted_at is not None:
            row.unit_price, row.deleted_at = item["unit_price"], None
            changed.append(row)
    gone = [row for row in current.values() if row.deleted_at is None]
    for row in gone:
        row.deleted_at = timezone.now()
    for row in [*new, *changed]:
        try:
            validate(row)
        except ValidationError as exc:
            raise DomainError("items", "; ".join(exc.messages)) from None
    insert_many(new)
    update_many(changed, ["unit_price", "deleted_at"])
    update_many(gone, ["deleted_at"])


def _reach_phones(price_list: PriceList, *, assignments: bool) -> None:
    """The phones that cache this list (access.phone_price_lists) get its products, some of
    which they may lack (new on the list); after an assignment change, its items too (the
    phones it reaches now have none of them). In the list's change number."""
    lists_reach_phones([price_list.pk], items=assignments)


def lists_reach_phones(price_list_ids: list[Any], *, items: bool = True) -> None:
    """Re-send the items and products of these price lists to the phones that cache them:
    they entered someone's scope (a list newly assigned, a rep joining a territory)."""
    if not price_list_ids:
        return
    in_lists = PriceListItem.all_objects.filter(price_list_id__in=price_list_ids)
    if items:
        touch(in_lists)
    touch(Product.all_objects.filter(pk__in=in_lists.values("product_id")))


PRICE_LIST_FIELDS = ("name", "currency", "valid_from", "valid_until", "is_active")


@transaction.atomic
def price_list_create(*, actor: User, data: dict[str, Any]) -> PriceList:
    """A price list in one currency, its items and the accounts and territories it serves."""
    if not can_create(PriceList, actor):
        raise NotAllowed(_("Your role may not change price lists."))
    with one_change_number():
        price_list = PriceList(**{k: data[k] for k in PRICE_LIST_FIELDS if k in data})
        validate(price_list)
        price_list.save()
        _assign(actor, price_list, data)
        _set_items(price_list, data.get("items") or [])
        _reach_phones(price_list, assignments=True)
    return price_list


@transaction.atomic
def price_list_update(*, actor: User, price_list_id: object, data: dict[str, Any]) -> PriceList:
    price_list = get_scoped(PriceList, actor, price_list_id, write=True)
    _refuse_empty(data, ("name", "currency", "is_active"))
    with one_change_number():
        for name in PRICE_LIST_FIELDS:
            if name in data:
                setattr(price_list, name, data[name])
        validate(price_list)
        price_list.save()
        _assign(actor, price_list, data)
        if data.get("items") is not None:
            _set_items(price_list, data["items"])
        assigned = data.get("account_ids") is not None or data.get("territory_ids") is not None
        if assigned or data.get("items") is not None:
            _reach_phones(price_list, assignments=assigned)
    return price_list


# --- Orders and quotes ---


def _next_number(kind: str, year: int) -> str:
    """The next number of ``kind`` in ``year``, taken under the counter row's lock."""
    # The row exists first (a concurrent creator waits on the unique key, then finds it).
    NumberCounter.objects.bulk_create([NumberCounter(kind=kind, year=year)], ignore_conflicts=True)
    counter = NumberCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    prefix = "Q" if kind == OrderKind.QUOTE else "O"
    return f"{prefix}-{year}-{counter.last:04d}"


def _deal(actor: User, account: Account, deal_id: int | None) -> Deal | None:
    if deal_id is None:
        return None
    deal = scoped(Deal, actor, write=True).filter(pk=deal_id).first()
    if deal is None:
        raise DomainError("deal_id", _("No such deal in your scope."))
    if deal.account_id != account.pk:
        raise DomainError("deal_id", _("The deal belongs to another account."))
    return deal


def _check_deal_currency(deal: Deal | None, currency: str) -> None:
    if deal is not None and deal.amount and deal.currency != currency:
        raise DomainError(
            "deal_id",
            _("The deal's amount is in %(deal)s, this one's in %(currency)s: amounts in "
              "different currencies are never added or replaced by one another.")
            % {"deal": deal.currency, "currency": currency},
        )  # fmt: skip


def _pricing(account: Account, data: dict[str, Any]) -> tuple[PriceList | None, str]:
    """The order's price list and currency (the rules in this module's docstring)."""
    today = timezone.localdate()
    currency = data.get("currency")
    if data.get("price_list_id") is not None:
        price_list = PriceList.objects.filter(pk=data["price_list_id"]).first()
        if price_list is None:
            raise DomainError("price_list_id", _("No such price list."))
        if not PriceList.objects.filter(valid_on(today), pk=price_list.pk).exists():
            raise DomainError("price_list_id", _("The price list is not valid today."))
        if currency and price_list.currency != currency:
            raise DomainError(
                "price_list_id",
                _("The price list is in %(list)s, not in %(currency)s.")
                % {"list": price_list.currency, "currency": currency},
            )
        return price_list, price_list.currency
    found = price_list_for(account=account, day=today, currency=currency)
    if found is not None and currency and found.currency != currency:
        found = None
    return found, currency or (found.currency if found else default_currency())


def _build_lines(order: Order, lines: list[dict[str, Any]], start: int) -> list[OrderLine]:
    """Validated lines for ``order`` (not saved), numbered from ``start``; a refusal names
    ``lines.<i>.<field>``."""
    ids = [line["product_id"] for line in lines]
    products = {p.pk: p for p in Product.objects.filter(pk__in=ids)}
    prices = prices_in(price_list=order.price_list, product_ids=ids)
    built = []
    for i, line in enumerate(lines):
        product = products.get(line["product_id"])
        if product is None:
            raise DomainError(f"lines.{i}.product_id", _("No such product."))
        if not product.is_active:
            raise DomainError(f"lines.{i}.product_id", _("This product is no longer sold."))
        price = line.get("unit_price")
        if price is None:
            price = prices.get(product.pk)
        if price is None:
            raise DomainError(
                f"lines.{i}.unit_price",
                _("%(sku)s has no price in this order's price list: give its unit price.")
                % {"sku": product.sku},
            )
        built.append(_line(order, i, start + i, product, line, price))
    return built


def _line(
    order: Order, i: int, position: int, product: Product, line: dict[str, Any], price: Decimal
) -> OrderLine:
    discount = line.get("discount_percent") or Decimal("0")
    amounts = line_amounts(
        quantity=line["quantity"], unit_price=price, discount_percent=discount,
        tax_rate=product.tax_rate, currency=order.currency,
    )  # fmt: skip
    obj = OrderLine(
        order=order, position=position, product=product, description=product.name,
        unit=product.unit, quantity=line["quantity"], unit_price=price,
        discount_percent=discount, tax_rate=product.tax_rate, net_amount=amounts.net,
        tax_amount=amounts.tax, total_amount=amounts.total,
    )  # fmt: skip
    # The numbers' own checks only (digits, ranges): the relations were just read, the texts
    # come from the product, the position is ours and the database's constraint backs it.
    for name in LINE_CHECKED:
        try:
            LINE_FIELDS[name].run_validators(getattr(obj, name))
        except ValidationError as exc:
            field, message = name, exc.messages[0]
            if name in ("net_amount", "tax_amount", "total_amount"):
                field, message = "quantity", _("The line's amount is too large.")
            raise DomainError(f"lines.{i}.{field}", message) from None
    return obj


LINE_CHECKED = (
    "quantity", "unit_price", "discount_percent", "tax_rate", "net_amount", "tax_amount",
    "total_amount",
)  # fmt: skip
LINE_FIELDS: dict[str, models.Field] = {
    f.name: f for f in OrderLine._meta.concrete_fields if f.name in LINE_CHECKED
}


def _refresh_totals(order: Order, new: list[OrderLine], *, keep: bool) -> None:
    """The order's totals from its ``new`` lines, and with ``keep`` its saved ones."""
    amounts = [LineAmounts(x.net_amount, x.tax_amount, x.total_amount) for x in new]
    if keep and not order._state.adding:
        saved = OrderLine.objects.filter(order=order)
        rows = saved.values_list("net_amount", "tax_amount", "total_amount")
        amounts += [LineAmounts(*row) for row in rows]
    totals = order_totals(amounts, order.currency)
    order.net_total, order.tax_total, order.total = totals.net, totals.tax, totals.total
    try:
        validate(order)
    except ValidationError as exc:
        raise DomainError("lines", _("The total is too large.")) from exc


def _log(actor: User, order: Order, subject: str) -> None:
    Activity.objects.create(
        account_id=order.account_id, kind=ActivityKind.SYSTEM, actor=actor,
        occurred_at=timezone.now(), subject=subject, deal=order.deal,
        details={"order": str(order.pk), "number": order.number, "status": order.status},
    )  # fmt: skip


def _money(order: Order, amount: Decimal) -> str:
    return f"{order.money(amount)} {order.currency}"


@transaction.atomic
def order_create(*, actor: User, data: dict[str, Any]) -> Order:
    """An order or a quote for an account the caller may change, numbered, with its lines
    priced from the account's price list; logged on the account's timeline."""
    if not can_create(Order, actor):
        raise NotAllowed(_("Your role may not create orders."))
    account = scoped(Account, actor, write=True).filter(pk=data["account_id"]).first()
    if account is None:
        raise DomainError("account_id", _("No such account in your scope."))
    if data.get("id") is not None and Order.all_objects.filter(pk=data["id"]).exists():
        raise DomainError("id", _("This id is taken."))
    deal = _deal(actor, account, data.get("deal_id"))
    price_list, currency = _pricing(account, data)
    _check_deal_currency(deal, currency)
    today = timezone.localdate()
    with one_change_number():
        order = Order(
            kind=data["kind"], account=account, deal=deal, price_list=price_list,
            currency=currency, issued_on=today, notes=data.get("notes") or "",
            created_by=actor, number=_next_number(data["kind"], today.year),
        )  # fmt: skip
        if data.get("id") is not None:
            order.id = data["id"]
        lines = _build_lines(order, data.get("lines") or [], start=1)
        _refresh_totals(order, lines, keep=False)
        order.save()
        insert_many(lines)
        _log(actor, order, _("%(kind)s %(number)s created: %(total)s") % {
            "kind": order.get_kind_display(), "number": order.number,
            "total": _money(order, order.total),
        })  # fmt: skip
    return order


def _order_for_change(actor: User, order_id: object) -> Order:
    order = get_scoped(Order, actor, order_id, write=True)
    return Order.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def order_update(*, actor: User, order_id: object, data: dict[str, Any]) -> Order:
    """Edit notes and the deal; replace the lines of a draft (refused once it left draft)."""
    order = _order_for_change(actor, order_id)
    with one_change_number():
        if "deal_id" in data:
            order.deal = _deal(actor, order.account, data["deal_id"])
            _check_deal_currency(order.deal, order.currency)
        if data.get("notes") is not None:
            order.notes = data["notes"]
        if data.get("lines") is not None:
            if not order.lines_editable:
                raise DomainError("lines", _("Only a draft's lines can be changed."))
            old = list(OrderLine.objects.filter(order=order))
            for line in old:
                line.deleted_at = timezone.now()
            update_many(old, ["deleted_at"])
            lines = _build_lines(order, data["lines"], start=1)
            insert_many(lines)
            _refresh_totals(order, lines, keep=False)
        validate(order)
        order.save()
    return order


@transaction.atomic
def order_add_lines(*, actor: User, order_id: object, lines: list[dict[str, Any]]) -> Order:
    """Append lines to a draft, or to a confirmed order (append-only: nothing is edited)."""
    order = _order_for_change(actor, order_id)
    if not order.lines_appendable:
        raise DomainError("lines", _("Lines can no longer be added to this %(kind)s.") % {
            "kind": order.get_kind_display().lower()
        })  # fmt: skip
    last = OrderLine.objects.filter(order=order).order_by("-position").first()
    with one_change_number():
        new = _build_lines(order, lines, start=(last.position if last else 0) + 1)
        _refresh_totals(order, new, keep=True)
        insert_many(new)
        order.save()
    return order


def _deal_takes_quote(order: Order, deal_id: int) -> None:
    deal = Deal.objects.select_for_update().get(pk=deal_id)
    _check_deal_currency(deal, order.currency)
    amount = order.total.quantize(CENT, rounding=ROUND_HALF_UP)
    if amount != order.total:
        raise DomainError("deal_id", _("A deal's amount is kept to the cent; this total is not."))
    deal.amount, deal.currency = amount, order.currency
    deal.full_clean()
    deal.save()


@transaction.atomic
def order_set_status(*, actor: User, order_id: object, status: str) -> Order:
    """Move along the status flow (models.TRANSITIONS); anything else is refused naming
    ``status``. Sending a quote or confirming an order needs a line; an accepted quote
    sets its deal's amount."""
    order = _order_for_change(actor, order_id)
    allowed = order.next_statuses()
    if status not in allowed:
        labels = dict(OrderStatus.choices)
        raise DomainError("status", _(
            "A %(kind)s cannot go from %(old)s to %(new)s (allowed: %(allowed)s)."
        ) % {
            "kind": order.get_kind_display().lower(), "old": labels[order.status],
            "new": labels.get(status, status),
            "allowed": ", ".join(str(labels[s]) for s in allowed) or "—",
        })  # fmt: skip
    if status in (OrderStatus.SENT, OrderStatus.CONFIRMED) and not order.lines.exists():
        raise DomainError("lines", _("Add a line first."))
    with one_change_number():
        old = order.get_status_display()
        order.status = status
        if status == OrderStatus.ACCEPTED and order.deal_id is not None:
            _deal_takes_quote(order, order.deal_id)
        order.save()
        _log(actor, order, _("%(kind)s %(number)s: %(old)s → %(new)s (%(total)s)") % {
            "kind": order.get_kind_display(), "number": order.number, "old": old,
            "new": order.get_status_display(), "total": _money(order, order.total),
        })  # fmt: skip
    return order


# --- From the phone (issue 18): an order or quote taken offline arrives as one create (the
# sync's ``order`` entity, idempotent by its client id); edits follow the conflict rules. ---


def order_check_phone_edit(*, actor: User, order: Order) -> None:
    """The conflict rules of an edit from a phone, checked before any field is merged: a
    draft is edited by its author alone; once it left draft (a confirmed order is
    append-only, a sent quote is the customer's) it takes no edit from a phone at all."""
    if order.status != OrderStatus.DRAFT:
        raise DomainError("status", _(
            "%(kind)s %(number)s is %(status)s: it can no longer be edited from the phone "
            "(a confirmed order is append-only; ask the office to add a line)."
        ) % {
            "kind": order.get_kind_display(), "number": order.number,
            "status": order.get_status_display().lower(),
        })  # fmt: skip
    if order.created_by_id != actor.pk:
        raise DomainError("id", _("Only its author edits a draft from the phone."))


@transaction.atomic
def order_phone_update(*, actor: User, order_id: object, data: dict[str, Any]) -> Order:
    """A draft's notes and lines (replaced as a whole), and its status (confirm, send)."""
    order = _order_for_change(actor, order_id)
    order_check_phone_edit(actor=actor, order=order)
    status = data.pop("status", None)
    if data:
        order = order_update(actor=actor, order_id=order.pk, data=data)
    if status is not None and status != order.status:
        order = order_set_status(actor=actor, order_id=order.pk, status=status)
    return order
