"""The records files attach to, by ``record_type``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from fieldcrm.accounts.models import Account
from fieldcrm.core.errors import DomainError
from fieldcrm.deals.models import Deal
from fieldcrm.orders.models import Order
from fieldcrm.visits.models import Visit

RECORDS: dict[str, Any] = {"account": Account, "deal": Deal, "order": Order, "visit": Visit}


def record_model(record_type: str) -> Any:
    if record_type not in RECORDS:
        raise DomainError("record_type", _("Attach files to an account, deal, order or visit."))
    return RECORDS[record_type]
