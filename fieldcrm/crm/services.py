"""Writes of the workspace's own state. Everything else a page changes goes through the
apps' services (accounts.activity_create, tasks.task_create, ...), never around them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from fieldcrm.access import get_scoped
from fieldcrm.accounts.models import CustomFieldDefinition
from fieldcrm.core.errors import DomainError
from fieldcrm.crm.area import MAX_AREA_TEXT
from fieldcrm.crm.models import ACCOUNT_COLUMNS, ListColumns, Segment, is_segment_param
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


MAX_SEGMENT_VALUES = 200


def _segment_query(query: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The filters worth keeping: known parameters with a value, as lists of short strings
    (the page's form checks the values again each time the segment is applied)."""
    kept: dict[str, list[str]] = {}
    for key in [k for k in query if is_segment_param(k)]:
        # A drawn area is long (its own limit, checked again when applied); others are short.
        cut = MAX_AREA_TEXT + 1 if key == "area" else 200
        values = [str(v)[:cut] for v in query.get(key, []) if str(v).strip()]
        if values:
            kept[key] = values[:MAX_SEGMENT_VALUES]
    if "tags" not in kept:
        kept.pop("tags_mode", None)  # how tags match says nothing without tags
    return kept


@transaction.atomic
def segment_create(
    *, actor: User, name: str, query: Mapping[str, Sequence[str]], is_shared: bool
) -> Segment:
    """Save the accounts list's current filters as ``actor``'s segment called ``name``
    (private, or ``is_shared`` with their team). A name is used once per author."""
    name = name.strip()
    if not name:
        raise DomainError("name", _("Give the segment a name."))
    filters = _segment_query(query)
    if not filters:
        raise DomainError("query", _("Choose a filter first: a segment without one is the "
                                     "whole list."))  # fmt: skip
    if Segment.objects.filter(owner=actor, list_name="accounts", name=name).exists():
        raise DomainError("name", _("You have a segment with this name already."))
    segment = Segment(owner=actor, name=name, query=filters, is_shared=is_shared)
    segment.full_clean()
    segment.save()
    return segment


@transaction.atomic
def segment_delete(*, actor: User, segment_id: int) -> None:
    """Delete one of ``actor``'s segments (another's shared one: NotAllowed, 403)."""
    get_scoped(Segment, actor, segment_id, write=True).delete()
