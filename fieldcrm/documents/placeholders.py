"""What a document's template may name, and the plain data it gets.

Each kind has a schema (key -> help text, a nested dict, or a one-item list holding the item's
schema): the editor page documents it, documents.sandbox checks templates against it, and the
builders below produce exactly its keys from the record, every value already text in the
document's language (amounts in the currency's minor units, dates written out), so a template
needs no filter to show them and never holds a model instance.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fieldcrm.documents.models import DocumentKind
from fieldcrm.orders.models import Order, OrderKind, OrderLine
from fieldcrm.orders.totals import minor_unit
from fieldcrm.visits.models import Visit

RTL_LANGUAGES = ("fa",)

DOCUMENT = {
    "title": gettext_lazy("The document's name: Quote, Order confirmation, Visit report"),
    "number": gettext_lazy("Its number (Q-2026-0001); empty for a visit report"),
    "date": gettext_lazy("The date it was issued (or the visit's date), written out"),
    "status": gettext_lazy("Its status, in the document's language"),
    "language": gettext_lazy("The language code: en, vi or fa"),
}
SELLER = {"name": gettext_lazy("Your company's name (FIELDCRM_COMPANY_NAME)")}
ACCOUNT = {
    "name": gettext_lazy("The account's name"),
    "address": gettext_lazy("Its address"),
    "phone": gettext_lazy("Its phone number"),
    "email": gettext_lazy("Its e-mail address"),
}
PERSON = {"name": gettext_lazy("The person's name")}
LINE = {
    "position": gettext_lazy("The line's number"),
    "sku": gettext_lazy("The product's SKU"),
    "description": gettext_lazy("The product's name as quoted"),
    "unit": gettext_lazy("The unit (box, kg)"),
    "quantity": gettext_lazy("The quantity"),
    "unit_price": gettext_lazy("The unit price"),
    "discount": gettext_lazy("The discount in percent"),
    "tax_rate": gettext_lazy("The tax rate in percent"),
    "net": gettext_lazy("The line's net amount"),
    "tax": gettext_lazy("The line's tax"),
    "total": gettext_lazy("The line's total"),
}
TOTALS = {
    "net": gettext_lazy("The net total"),
    "tax": gettext_lazy("The tax total"),
    "total": gettext_lazy("The total to pay"),
    "currency": gettext_lazy("The currency (ISO 4217: EUR, VND)"),
}
ORDER_SCHEMA: dict[str, Any] = {
    "document": DOCUMENT, "seller": SELLER, "account": ACCOUNT,
    "deal": {"name": gettext_lazy("The deal's name (empty without a deal)")},
    "created_by": PERSON, "lines": [LINE], "totals": TOTALS,
    "notes": gettext_lazy("The order's notes"),
}  # fmt: skip
VISIT_SCHEMA: dict[str, Any] = {
    "document": DOCUMENT, "seller": SELLER, "account": ACCOUNT, "rep": PERSON,
    "visit": {
        "scheduled_on": gettext_lazy("The day it was planned for"),
        "checked_in_at": gettext_lazy("When the rep checked in"),
        "checked_out_at": gettext_lazy("When the rep checked out"),
        "time_on_site": gettext_lazy("Minutes on site, check-in to check-out (empty without both)"),
        "completed_at": gettext_lazy("When it was logged as done"),
        "outcome": gettext_lazy("Its outcome (Order taken, Follow-up needed …)"),
        "notes": gettext_lazy("The rep's notes"),
        "distance": gettext_lazy("How far from the account the rep checked in (metres)"),
    },
}  # fmt: skip
SCHEMAS: dict[str, dict[str, Any]] = {
    DocumentKind.QUOTE: ORDER_SCHEMA,
    DocumentKind.ORDER: ORDER_SCHEMA,
    DocumentKind.VISIT: VISIT_SCHEMA,
}


def schema_rows(kind: str) -> list[tuple[str, str]]:
    """The kind's placeholders as (how to write it, what it is) for the editor page."""
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, shape: Any) -> None:
        for key, value in shape.items():
            if isinstance(value, dict):
                walk(f"{prefix}{key}.", value)
            elif isinstance(value, list):
                rows.append((f"{{% for line in {prefix}{key} %}} … {{% endfor %}}", _("A list")))
                walk("line.", value[0])
            else:
                rows.append((f"{{{{ {prefix}{key} }}}}", str(value)))

    walk("", SCHEMAS[kind])
    return rows


def kind_of(order: Order) -> str:
    return DocumentKind.QUOTE if order.kind == OrderKind.QUOTE else DocumentKind.ORDER


def _amount(value: Decimal, currency: str, language: str) -> str:
    digits = -minor_unit(currency).as_tuple().exponent  # type: ignore[operator]
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=language)


def _number(value: Decimal, language: str) -> str:
    return format_decimal(value.normalize(), format="#,##0.###", locale=language)


def _date(value: dt.date | None, language: str) -> str:
    return format_date(value, "long", locale=language) if value else ""


def _moment(value: dt.datetime | None, language: str) -> str:
    if value is None:
        return ""
    return format_datetime(timezone.localtime(value), "medium", locale=language)


def _document(kind: str, number: str, day: dt.date | None, status: str, language: str) -> dict:
    return {"title": str(DocumentKind(kind).label), "number": number,
            "date": _date(day, language), "status": status, "language": language}  # fmt: skip


def _account(account: Any) -> dict[str, str]:
    return {"name": account.name, "address": account.address or "",
            "phone": account.phone or "", "email": account.email or ""}  # fmt: skip


def order_data(
    *, order: Order, lines: list[OrderLine], skus: dict[Any, str], language: str
) -> dict[str, Any]:
    """The template data of an order or quote (read through the caller's scope already)."""
    cur = order.currency
    with translation.override(language):
        rows = [{
            "position": str(line.position), "sku": skus.get(line.product_id, ""),
            "description": line.description, "unit": line.unit,
            "quantity": _number(line.quantity, language),
            "unit_price": _amount(line.unit_price, cur, language),
            "discount": _number(line.discount_percent, language),
            "tax_rate": _number(line.tax_rate, language),
            "net": _amount(line.net_amount, cur, language),
            "tax": _amount(line.tax_amount, cur, language),
            "total": _amount(line.total_amount, cur, language),
        } for line in lines]  # fmt: skip
        creator = order.created_by.display_name if order.created_by else ""
        return {
            "document": _document(kind_of(order), order.number, order.issued_on,
                                  order.get_status_display(), language),
            "seller": {"name": settings.FIELDCRM_COMPANY_NAME},
            "account": _account(order.account),
            "deal": {"name": order.deal.name if order.deal else ""},
            "created_by": {"name": creator}, "lines": rows, "notes": order.notes,
            "totals": {k: _amount(getattr(order, f), cur, language) for k, f in
                       (("net", "net_total"), ("tax", "tax_total"), ("total", "total"))}
                      | {"currency": cur},
        }  # fmt: skip


def visit_data(*, visit: Visit, language: str) -> dict[str, Any]:
    """The template data of a visit report (read through the caller's scope already)."""
    with translation.override(language):
        day = visit.completed_at.date() if visit.completed_at else visit.scheduled_on
        distance = "" if visit.distance_m is None else _number(Decimal(round(visit.distance_m)),
                                                                language)  # fmt: skip
        return {
            "document": _document(DocumentKind.VISIT, "", day, visit.get_status_display(),
                                  language),
            "seller": {"name": settings.FIELDCRM_COMPANY_NAME},
            "account": _account(visit.account),
            "rep": {"name": visit.rep.display_name},
            "visit": {
                "scheduled_on": _date(visit.scheduled_on, language),
                "checked_in_at": _moment(visit.checked_in_at, language),
                "checked_out_at": _moment(visit.checked_out_at, language),
                "time_on_site": "" if visit.time_on_site_minutes is None
                else _number(Decimal(visit.time_on_site_minutes), language),
                "completed_at": _moment(visit.completed_at, language),
                "outcome": visit.get_outcome_display() if visit.outcome else "",
                "notes": visit.notes, "distance": distance,
            },
        }  # fmt: skip


def sample_data(*, kind: str, language: str) -> dict[str, Any]:
    """Made-up data of the kind's exact shape, for the editor's preview (no real record, so
    the preview shows nobody's data and works on an empty installation)."""
    with translation.override(language):
        shop = {"name": _("Sample shop"), "address": "12 Hàng Bạc, Hà Nội",
                "phone": "+84 24 0000 0000", "email": "shop@example.com"}  # fmt: skip
        seller = {"name": settings.FIELDCRM_COMPANY_NAME}
        today = dt.date(2026, 3, 4)
        if kind == DocumentKind.VISIT:
            return {
                "document": _document(kind, "", today, _("Done"), language),
                "seller": seller, "account": shop, "rep": {"name": _("Sample rep")},
                "visit": {"scheduled_on": _date(today, language), "checked_in_at": "",
                          "checked_out_at": "", "time_on_site": "25", "completed_at": "",
                          "outcome": _("Order taken"),
                          "notes": _("Sample notes"), "distance": "25"},
            }  # fmt: skip
        line = {"position": "1", "sku": "TEA-1", "description": _("Sample product"),
                "unit": "box", "quantity": "3", "unit_price": "3.35", "discount": "0",
                "tax_rate": "10", "net": "10.05", "tax": "1.01", "total": "11.06"}  # fmt: skip
        return {
            "document": _document(kind, "Q-2026-0001", today, _("Draft"), language),
            "seller": seller, "account": shop, "deal": {"name": ""},
            "created_by": {"name": _("Sample rep")}, "lines": [line], "notes": "",
            "totals": {"net": "10.05", "tax": "1.01", "total": "11.06", "currency": "EUR"},
        }  # fmt: skip
