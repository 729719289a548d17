"""Money: amounts are ``Decimal`` in an ISO 4217 currency, and are never added across currencies.

Totals come per currency (a board of EUR and JPY deals has two totals). Converting would need
stated rates; until the installation has them, nothing converts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
# ISO 4217's active codes (pycountry's data), less the codes for "no currency" and testing.
CURRENCIES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies) - {"XXX", "XTS"}


def validate_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError(
            _("%(code)s is not an ISO 4217 currency code."), code="currency",
            params={"code": value},
        )  # fmt: skip


def default_currency() -> str:
    """New deals' currency: the installation's (FIELDCRM_CURRENCY)."""
    return str(settings.FIELDCRM_CURRENCY)


def totals_by_currency(
    rows: Iterable[Mapping[str, Any]], keys: Sequence[str] = ("amount",)
) -> list[dict[str, Any]]:
    """Rows ``{"currency", *keys}`` added up per currency (never across currencies), one
    ``{"currency", *keys}`` per currency, by currency code, to the cent."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(keys, Decimal("0")))
    for row in rows:
        total = sums[row["currency"]]
        for key in keys:
            total[key] += row[key] or Decimal("0")
    return [
        {"currency": c, **{k: v.quantize(CENT) for k, v in sums[c].items()}} for c in sorted(sums)
    ]
