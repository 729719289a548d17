"""The workspace's order, quote and catalogue pages (/crm/orders/, /crm/products/,
/crm/price-lists/): HTTP only, like views.py. Orders are seen where their account is; the
catalogue's pages are for managers and admins (access.PAGE_ROLES["catalog"]). A refused write
shows the form again (400) with the service's message at the field it names."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fieldcrm.access import NotAllowed, require_page
from fieldcrm.accounts.models import Account
from fieldcrm.attachments.selectors import attachment_block
from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.crm import selectors as crm_selectors
from fieldcrm.crm.order_forms import (
    OrderForm,
    PriceListForm,
    ProductForm,
    StatusForm,
    line_formset,
)
from fieldcrm.crm.views import crm_page
from fieldcrm.emails.selectors import email_recipients
from fieldcrm.orders import selectors, services
from fieldcrm.orders.models import OrderKind, OrderStatus, PriceList, Product
from fieldcrm.orders.schemas import OrderFilters, ProductFilters
from fieldcrm.users.auth import PageRequest


def catalog_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A workspace page for the people who keep the catalogue (a styled 403 for others)."""

    @crm_page
    @functools.wraps(view)
    def wrapper(request: PageRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        require_page(request.user, "catalog")
        return view(request, *args, **kwargs)

    return wrapper


def _pairs(exc: DomainError | ValidationError) -> list[tuple[str, str]]:
    if isinstance(exc, DomainError):
        return [(exc.field, exc.message)]
    return validation_error_fields(exc)


def _on_form(form: Any, exc: DomainError | ValidationError, fields: dict[str, str]) -> None:
    """Put a service's refusal on the form field it names (else on the form)."""
    for name, message in _pairs(exc):
        target = fields.get(name, name)
        form.add_error(target if target in form.fields else None, message)


def _on_lines(formset: Any, exc: DomainError) -> bool:
    """A refusal naming ``lines.<i>.<field>``, put on that row of the formset."""
    parts = exc.field.split(".")
    if parts[0] != "lines":
        return False
    if len(parts) == 3 and parts[1].isdigit():
        rows = [f for f in formset.forms if f.cleaned_data.get("product")]
        row, field = int(parts[1]), {"product_id": "product"}.get(parts[2], parts[2])
        if row < len(rows) and field in rows[row].fields:
            rows[row].add_error(field, exc.message)
            return True
    formset._non_form_errors = formset.error_class([exc.message])
    return True


# --- Orders and quotes ---


@require_GET
@crm_page
def orders(request: PageRequest) -> HttpResponse:
    kind = request.GET.get("kind") or ""
    status = request.GET.get("status") or ""
    filters = OrderFilters(
        kind=OrderKind(kind) if kind in OrderKind.values else None,
        status=OrderStatus(status) if status in OrderStatus.values else None,
    )
    rows = list(selectors.order_list(actor=request.user, filters=filters)[:200])
    return render(request, "crm/orders.html", {
        "rows": rows, "kinds": OrderKind.choices, "statuses": OrderStatus.choices,
        "kind": filters.kind or "", "status": filters.status or "",
    })  # fmt: skip


def _new_order_page(
    request: PageRequest, account: Account, form: OrderForm, lines: Any, status: int = 200
) -> HttpResponse:
    return render(request, "crm/order_new.html", {
        "account": account, "form": form, "lines": lines,
        "kind_label": dict(OrderKind.choices).get(form["kind"].value() or "", ""),
    }, status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@crm_page
def order_new(request: PageRequest, account_id: object) -> HttpResponse:
    """A new quote or order for the account (``?kind=quote``), with up to five lines."""
    overview = crm_selectors.account_overview(actor=request.user, account_id=account_id)
    account = overview["account"]
    if not overview["may_write"]:
        raise NotAllowed(_("Your role may not change this account."))
    choices = selectors.order_form_choices(actor=request.user, account=account)
    products = selectors.products_for_lines()
    if request.method == "GET":
        kind = request.GET.get("kind")
        form = OrderForm(
            initial={"kind": kind if kind in OrderKind.values else OrderKind.QUOTE},
            **choices,
        )  # fmt: skip
        return _new_order_page(request, account, form, line_formset(products=products))
    form = OrderForm(request.POST, **choices)
    lines = line_formset(request.POST, products=products)
    if form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_create(actor=request.user, data={
                "kind": data["kind"], "account_id": account.pk, "deal_id": data["deal"],
                "price_list_id": data["price_list"] or None, "notes": data["notes"],
                "lines": [line for f in lines.forms if (line := f.line())],
            })  # fmt: skip
        except DomainError as exc:
            if not _on_lines(lines, exc):
                _on_form(form, exc, {"deal_id": "deal", "price_list_id": "price_list"})
        else:
            messages.success(request, _("%(number)s saved.") % {"number": order.number})
            return HttpResponseRedirect(reverse("crm:order", args=[order.pk]))
    return _new_order_page(request, account, form, lines, status=400)


def _order_page(
    request: PageRequest, order_id: object, *, lines: Any = None, status: int = 200
) -> HttpResponse:
    order = selectors.order_get(actor=request.user, order_id=order_id)
    may_write = selectors.order_may_write(actor=request.user, order=order)
    labels = dict(OrderStatus.choices)
    if lines is None and order.lines_appendable:
        lines = line_formset(products=selectors.products_for_lines(), extra=3)
    return render(request, "crm/order.html", {
        "order": order, "account": order.account, "lines": list(order.lines.all()),
        "may_write": may_write, "add_lines": lines if order.lines_appendable else None,
        "next_statuses": [(s, labels[s]) for s in order.next_statuses()],
        "money": {k: order.money(getattr(order, k)) for k in ("net_total", "tax_total", "total")},
        "files": attachment_block(actor=request.user, record_type="order", record_id=order.pk),
        "mail": email_recipients(actor=request.user, record_type="order", record_id=order.pk),
    }, status=status)  # fmt: skip


@require_GET
@crm_page
def order(request: PageRequest, order_id: object) -> HttpResponse:
    return _order_page(request, order_id)


@require_POST
@crm_page
def order_status(request: PageRequest, order_id: object) -> HttpResponse:
    selectors.order_get(actor=request.user, order_id=order_id)  # 404 first
    form = StatusForm(request.POST)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    try:
        done = services.order_set_status(actor=request.user, order_id=order_id, status=status)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(number)s is now %(status)s.") % {
            "number": done.number, "status": done.get_status_display().lower()})  # fmt: skip
    return HttpResponseRedirect(reverse("crm:order", args=[order_id]))


@require_POST
@crm_page
def order_lines(request: PageRequest, order_id: object) -> HttpResponse:
    """Add lines to a draft or to a confirmed order (append-only)."""
    selectors.order_get(actor=request.user, order_id=order_id)  # 404 first
    lines = line_formset(request.POST, products=selectors.products_for_lines(), extra=3)
    if lines.is_valid():
        new = [line for f in lines.forms if (line := f.line())]
        try:
            if not new:
                raise DomainError("lines", _("Choose a product for at least one line."))
            services.order_add_lines(actor=request.user, order_id=order_id, lines=new)
        except DomainError as exc:
            _on_lines(lines, exc)
        else:
            messages.success(request, _("Lines added."))
            return HttpResponseRedirect(reverse("crm:order", args=[order_id]) + "#lines")
    return _order_page(request, order_id, lines=lines, status=400)


# --- The catalogue: products and price lists (managers and admins). ---


@require_GET
@catalog_page
def products(request: PageRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    rows = selectors.product_list(actor=request.user, filters=ProductFilters(q=q or None))
    return render(request, "crm/products.html", {"rows": list(rows[:500]), "q": q})


def _product_form(request: PageRequest, product: Product | None) -> HttpResponse:
    if request.method == "GET":
        initial = {} if product is None else {
            f: getattr(product, f) for f in ("sku", "name", "unit", "tax_rate", "is_active")
        }  # fmt: skip
        form = ProductForm(initial=initial or None)
    else:
        form = ProductForm(request.POST)
        if form.is_valid():
            try:
                if product is None:
                    services.product_create(actor=request.user, data=form.cleaned_data)
                else:
                    services.product_update(
                        actor=request.user, product_id=product.pk, data=form.cleaned_data
                    )
            except (DomainError, ValidationError) as exc:
                _on_form(form, exc, {})
            else:
                messages.success(request, _("Product saved."))
                return HttpResponseRedirect(reverse("crm:products"))
    status = 400 if form.errors else 200
    return render(request, "crm/product.html", {"form": form, "product": product}, status=status)


@require_http_methods(["GET", "POST"])
@catalog_page
def product_new(request: PageRequest) -> HttpResponse:
    return _product_form(request, None)


@require_http_methods(["GET", "POST"])
@catalog_page
def product(request: PageRequest, product_id: object) -> HttpResponse:
    return _product_form(request, selectors.product_get(actor=request.user, product_id=product_id))


@require_GET
@catalog_page
def price_lists(request: PageRequest) -> HttpResponse:
    rows = list(selectors.price_list_list(actor=request.user))
    return render(request, "crm/price_lists.html", {"rows": rows})


def _price_list_form(request: PageRequest, price_list: PriceList | None) -> HttpResponse:
    choices = selectors.price_list_form_choices(actor=request.user)
    if request.method == "GET":
        initial: dict[str, Any] = {}
        if price_list is not None:
            initial = {f: getattr(price_list, f) for f in
                       ("name", "currency", "valid_from", "valid_until", "is_active")}  # fmt: skip
            initial["territories"] = [t.pk for t in price_list.territories.all()]
            initial["accounts"] = [str(a.pk) for a in price_list.accounts.all()]
            initial.update({f"price_{i.product_id}": i.unit_price for i in price_list.items.all()})
        form = PriceListForm(initial=initial or None, **choices)
    else:
        form = PriceListForm(request.POST, **choices)
        if form.is_valid():
            try:
                data = form.data_for_service()
                if price_list is None:
                    services.price_list_create(actor=request.user, data=data)
                else:
                    services.price_list_update(
                        actor=request.user, price_list_id=price_list.pk, data=data
                    )
            except (DomainError, ValidationError) as exc:
                _on_form(form, exc, {"territory_ids": "territories", "account_ids": "accounts"})
            else:
                messages.success(request, _("Price list saved."))
                return HttpResponseRedirect(reverse("crm:price_lists"))
    status = 400 if form.errors else 200
    return render(request, "crm/price_list.html", {"form": form, "price_list": price_list},
                  status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@catalog_page
def price_list_new(request: PageRequest) -> HttpResponse:
    return _price_list_form(request, None)


@require_http_methods(["GET", "POST"])
@catalog_page
def price_list(request: PageRequest, price_list_id: object) -> HttpResponse:
    found = selectors.price_list_get(actor=request.user, price_list_id=price_list_id)
    return _price_list_form(request, found)
