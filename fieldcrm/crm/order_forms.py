"""The forms of the workspace's order, quote, product and price-list pages: they parse what a
page sends (choices limited to what the caller may use, numbers in range) and name the field
when they refuse. The rules stay in fieldcrm.orders.services."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.forms import LabelledRowsFormSet
from fieldcrm.core.money import CURRENCIES
from fieldcrm.orders.models import OrderKind, PriceList, Product

BLANK = [("", "—")]


def product_choices(products: list[Product]) -> list[tuple[str, str]]:
    return [*BLANK, *((str(p.pk), f"{p.sku} · {p.name}") for p in products)]


class LineForm(forms.Form):
    """One line; a row left without a product is skipped."""

    product = forms.ChoiceField(label=_("Product"), required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), required=False, max_digits=12, decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )  # fmt: skip
    unit_price = forms.DecimalField(
        label=_("Unit price"), required=False, max_digits=14, decimal_places=4, min_value=0,
        help_text=_("Empty: the price list's price."),
    )  # fmt: skip
    discount_percent = forms.DecimalField(
        label=_("Discount %"), required=False, max_digits=5, decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )  # fmt: skip

    def __init__(self, *args: Any, products: list[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = product_choices(products)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("product") and data.get("quantity") is None:
            self.add_error("quantity", _("Give a quantity."))
        return data

    def line(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("product"):
            return None
        return {
            "product_id": uuid.UUID(data["product"]), "quantity": data["quantity"],
            "unit_price": data.get("unit_price"),
            "discount_percent": data.get("discount_percent") or Decimal("0"),
        }  # fmt: skip


def line_formset(data: Any = None, *, products: list[Product], extra: int = 5) -> Any:
    # A table of rows: each input named by its column and row (LabelledRowsFormSet).
    formset_class = forms.formset_factory(
        LineForm, formset=LabelledRowsFormSet, extra=extra, max_num=50, absolute_max=50
    )
    return formset_class(data, prefix="lines", form_kwargs={"products": products})


class OrderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=OrderKind.choices)
    deal = forms.TypedChoiceField(label=_("Deal"), coerce=int, required=False, empty_value=None)
    price_list = forms.ChoiceField(
        label=_("Price list"), required=False,
        help_text=_("Empty: the account's own price list, else its territory's."),
    )  # fmt: skip
    notes = forms.CharField(
        label=_("Notes"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, deals: list[Any], price_lists: list[PriceList], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deal"].choices = [*BLANK, *((d.pk, d.name) for d in deals)]  # type: ignore[attr-defined]
        self.fields["price_list"].choices = [  # type: ignore[attr-defined]
            *BLANK, *((str(p.pk), f"{p.name} ({p.currency})") for p in price_lists)
        ]  # fmt: skip


class StatusForm(forms.Form):
    status = forms.CharField(max_length=20)


class ProductForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="pc")
    tax_rate = forms.DecimalField(
        label=_("Tax rate %"), max_digits=5, decimal_places=2, initial=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )  # fmt: skip
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class PriceListForm(forms.Form):
    """A price list's own fields, its territories and accounts, and one price per product
    (``price_<product id>``; an empty price leaves the product out of the list)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in sorted(CURRENCIES)])
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    territories = forms.TypedMultipleChoiceField(label=_("Territories"), coerce=int, required=False)
    accounts = forms.MultipleChoiceField(label=_("Accounts"), required=False)

    def __init__(
        self, *args: Any, territories: list[Any], accounts: list[Any], products: list[Product],
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["territories"].choices = [(t.pk, t.name) for t in territories]  # type: ignore[attr-defined]
        self.fields["accounts"].choices = [(str(a.pk), a.name) for a in accounts]  # type: ignore[attr-defined]
        self.products = products
        for product in products:
            self.fields[f"price_{product.pk}"] = forms.DecimalField(
                label=f"{product.sku} · {product.name}", required=False, max_digits=14,
                decimal_places=4, min_value=0,
            )  # fmt: skip

    def price_fields(self) -> list[tuple[Product, Any]]:
        return [(p, self[f"price_{p.pk}"]) for p in self.products]

    def data_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        items = [
            {"product_id": p.pk, "unit_price": data[f"price_{p.pk}"]}
            for p in self.products
            if data.get(f"price_{p.pk}") is not None
        ]
        return {
            **{k: data[k] for k in ("name", "currency", "valid_from", "valid_until", "is_active")},
            "territory_ids": data["territories"], "account_ids": data["accounts"],
            "items": items,
        }  # fmt: skip
