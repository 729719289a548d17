"""The forecast by close month: for a set of deals the caller may see, per month and per
currency, the open pipeline (each deal in the month of its expected close), that amount
weighted by its stage's win probability, and what was won (in the month it was closed).

Amounts are never added across currencies; each month lists one row per currency. Open deals
with no expected close are kept apart (``month`` None) rather than dropped, so the forecast's
open total is the board's open total. Won deals count from WON_MONTHS months back: the
forecast is about what comes, with the recent record beside it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from fieldcrm.core.money import CENT
from fieldcrm.deals.models import Deal, StageOutcome

WON_MONTHS = 12
ZERO = Decimal("0")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_back(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def _as_month(value: dt.date | dt.datetime | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return month_start(value)


def deal_forecast(deals: QuerySet[Deal], *, today: dt.date | None = None) -> dict[str, Any]:
    """``deals``: already scoped (and filtered) by the caller. Months in order, the undated
    open deals last; each month's rows by currency code; totals per currency."""
    today = today or timezone.localdate()
    cells: dict[tuple[dt.date | None, str], dict[str, Any]] = defaultdict(_empty)
    open_rows = (
        deals.filter(stage__outcome=StageOutcome.OPEN).order_by()
        .values("currency", "stage__probability", month=TruncMonth("expected_close_on"))
        .annotate(n=Count("id"), total=Sum("amount"))
    )  # fmt: skip
    for row in open_rows:
        cell = cells[(_as_month(row["month"]), row["currency"])]
        total = row["total"] or ZERO
        cell["count"] += row["n"]
        cell["amount"] += total
        # Weighted per stage before adding, so rounding happens once per stage and month.
        cell["weighted"] += (total * row["stage__probability"] / 100).quantize(CENT)
    since = timezone.make_aware(dt.datetime.combine(months_back(today, WON_MONTHS), dt.time()))
    won_rows = (
        deals.filter(stage__outcome=StageOutcome.WON, closed_at__gte=since).order_by()
        .values("currency", month=TruncMonth("closed_at"))
        .annotate(n=Count("id"), total=Sum("amount"))
    )  # fmt: skip
    for won_row in won_rows:
        cell = cells[(_as_month(won_row["month"]), won_row["currency"])]
        cell["won"] += won_row["total"] or ZERO
        cell["won_count"] += won_row["n"]
    this_month = month_start(today)
    by_month: dict[dt.date | None, list[dict[str, Any]]] = defaultdict(list)
    for (month, currency), cell in sorted(
        cells.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or this_month, kv[0][1])
    ):
        by_month[month].append({"currency": currency, **_rounded(cell)})
    months = [
        {
            "month": month,
            "past": month is not None and month < this_month,
            "current": month == this_month,
            "rows": rows,
        }
        for month, rows in by_month.items()
    ]
    totals: dict[str, dict[str, Any]] = defaultdict(_empty)
    for cell_key, cell in cells.items():
        total = totals[cell_key[1]]
        for key in total:
            total[key] += cell[key]
    return {
        "months": months,
        "totals": [{"currency": c, **_rounded(totals[c])} for c in sorted(totals)],
        "won_since": months_back(today, WON_MONTHS),
    }


def _empty() -> dict[str, Any]:
    return {"count": 0, "amount": ZERO, "weighted": ZERO, "won": ZERO, "won_count": 0}


def _rounded(cell: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.quantize(CENT) if isinstance(v, Decimal) else v) for k, v in cell.items()}
