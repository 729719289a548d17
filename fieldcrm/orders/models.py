"""Products, price lists, and orders and quotes with their lines.

Orders, quotes and their lines are synced entities like visits (``SyncedModel``: a
client-generatable UUID, a version, soft deletion, a change number), so the phone can take them
offline later. Products and price lists are synced models too: the phone will pull the price
list of its accounts by change number. Money is ``Decimal`` in one ISO 4217 currency per price
list and per order; nothing adds amounts across currencies.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.models import SyncedModel
from fieldcrm.core.money import default_currency, validate_currency
from fieldcrm.orders.totals import minor_unit

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Product(SyncedModel):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=20, default="pc")
    # A percent (e.g. 10.00 for 10 %), applied to each line's net amount.
    tax_rate = models.DecimalField(
        _("tax rate %"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class PriceList(SyncedModel):
    """Unit prices in one currency, valid between two dates (either may be open), for the
    accounts and territories it is assigned to (orders.selectors.price_list_for states which
    list applies)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    currency = models.CharField(
        _("currency"), max_length=3, default=default_currency, validators=[validate_currency]
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    accounts = models.ManyToManyField(
        "accounts.Account", blank=True, related_name="price_lists", verbose_name=_("accounts")
    )
    territories = models.ManyToManyField(
        "territories.Territory",
        blank=True,
        related_name="price_lists",
        verbose_name=_("territories"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("price list")

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The end comes before the start.")})


class PriceListItem(SyncedModel):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=4, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["price_list", "product__sku"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="price_list_product")
        ]
        # The pull's lookup (issue 18): the items of the lists serving a phone's scope.
        indexes = [models.Index(fields=["price_list", "change_seq"], name="price_item_sync_list")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.unit_price}"


class OrderKind(models.TextChoices):
    QUOTE = "quote", _("Quote")
    ORDER = "order", _("Order")


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CONFIRMED = "confirmed", _("Confirmed")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


# The status flows: quote draft → sent → accepted | declined; order draft → confirmed →
# delivered | cancelled (a draft order may be cancelled too). Anything else is refused.
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    OrderKind.QUOTE: {
        OrderStatus.DRAFT: (OrderStatus.SENT,),
        OrderStatus.SENT: (OrderStatus.ACCEPTED, OrderStatus.DECLINED),
    },
    OrderKind.ORDER: {
        OrderStatus.DRAFT: (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
        OrderStatus.CONFIRMED: (OrderStatus.DELIVERED, OrderStatus.CANCELLED),
    },
}


class Order(SyncedModel):
    """An order or a quote (``kind``) for an account, numbered without gaps per kind and year
    (Q-2026-0001, O-2026-0001). Its totals are the sums of its lines' rounded amounts."""

    Kind = OrderKind
    Status = OrderStatus

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.CASCADE,
        related_name="orders",
    )  # fmt: skip
    deal = models.ForeignKey(
        "deals.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="orders",
    )  # fmt: skip
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="orders",
    )  # fmt: skip
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    issued_on = models.DateField(_("issued on"))
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="orders",
    )  # fmt: skip
    net_total = models.DecimalField(_("net"), max_digits=18, decimal_places=4, default=0)
    tax_total = models.DecimalField(_("tax"), max_digits=18, decimal_places=4, default=0)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=4, default=0)

    class Meta:
        ordering = ["-issued_on", "-number"]
        verbose_name = _("order")
        # The pull's lookup (issue 22): an account's orders.
        indexes = [models.Index(fields=["account", "change_seq"], name="order_sync_account")]

    def __str__(self) -> str:
        return self.number

    @property
    def lines_editable(self) -> bool:
        """Only a draft's lines change; a confirmed order is append-only (new lines)."""
        return self.status == OrderStatus.DRAFT

    @property
    def lines_appendable(self) -> bool:
        return self.status == OrderStatus.DRAFT or (
            self.kind == OrderKind.ORDER and self.status == OrderStatus.CONFIRMED
        )

    def next_statuses(self) -> tuple[str, ...]:
        return TRANSITIONS[self.kind].get(self.status, ())

    def money(self, amount: Decimal) -> Decimal:
        """``amount`` to this order's currency's minor units (amounts are stored so rounded)."""
        return amount.quantize(minor_unit(self.currency))


class OrderLine(SyncedModel):
    """One product on an order: its price, discount and tax rate are copied onto the line, so
    a later change to the product or the price list never changes an issued order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="lines"
    )
    description = models.CharField(_("description"), max_length=200)
    unit = models.CharField(_("unit"), max_length=20)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )  # fmt: skip
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=4, validators=[MinValueValidator(0)]
    )
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=0, validators=PERCENT
    )
    tax_rate = models.DecimalField(
        _("tax rate %"), max_digits=5, decimal_places=2, default=0, validators=PERCENT
    )
    net_amount = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    tax_amount = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    total_amount = models.DecimalField(max_digits=18, decimal_places=4, default=0)

    class Meta:
        ordering = ["order", "position"]
        # Live lines only: a draft's replaced lines stay as tombstones for the phones.
        constraints = [
            models.UniqueConstraint(
                fields=["order", "position"], condition=models.Q(deleted_at__isnull=True),
                name="order_line_position",
            )
        ]  # fmt: skip
        # The pull's lookup: a synced order's lines.
        indexes = [models.Index(fields=["order", "change_seq"], name="order_line_sync_order")]

    def __str__(self) -> str:
        return f"{self.order_id} #{self.position}"


class NumberCounter(models.Model):
    """The last number given per kind and year. Its row is locked (select_for_update) by the
    transaction that creates an order, so numbers are given in commit order without gaps: a
    rolled-back creation rolls its number back too."""

    kind = models.CharField(max_length=8, choices=OrderKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="order_number_counter")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"
