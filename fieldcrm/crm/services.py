"""Writes of the workspace's own state. Everything else a page changes goes through the
apps' services (accounts.activity_create, tasks.task_create, ...), never around them."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from fieldcrm.accounts.models import CustomFieldDefinition
from fieldcrm.core.errors import DomainError
from fieldcrm.crm.models import ACCOUNT_COLUMNS, ListColumns
from fieldcrm.users.models import User

MAX_COLUMNS = 30


@transaction.atomic
def list_columns_set(*, actor: User, list_name: str, columns: Sequence[str]) -> ListColumns:
    """Remember the columns ``actor`` picked for a list (in the order given, once each)."""
    if list_name != "accounts":
        raise DomainError("list_name", _("No such list."))
    known = set(ACCOUNT_COLUMNS) | {
        f"cf:{key}" for key in CustomFieldDefinition.objects.values_list("key", flat=True)
    }
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise DomainError("columns", _("Unknown column %(column)s.") % {"column": unknown[0]})
    picked = list(dict.fromkeys(columns))[:MAX_COLUMNS]
    row, _created = ListColumns.objects.update_or_create(
        user=actor, list_name=list_name, defaults={"columns": picked}
    )
    return row
