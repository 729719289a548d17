"""Segments wherever a set of accounts is chosen: the accounts list and its bulk actions, the
API's ``?segment=``, the manager's map and export.

A segment is saved as the list's filters. It is always read back through the list's own form,
within the reader's scope: a filter that does not apply to the reader (an owner outside their
scope, say) makes the segment match nothing, never more than it means.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from fieldcrm.access import NotInScope
from fieldcrm.accounts.models import Account
from fieldcrm.core.errors import DomainError
from fieldcrm.crm import selectors
from fieldcrm.crm.forms import AccountFilterForm
from fieldcrm.crm.models import Segment, is_segment_param
from fieldcrm.users.models import User

# The reader's own: a segment keeps what it selects, not how a reader sorts or pages it.
OWN_PARAMS = ("sort", "order", "after", "segment")


def segment_params(actor: User, query: QueryDict) -> tuple[QueryDict, Segment | None]:
    """The accounts list's parameters: with ``segment=ID``, that segment's filters (one the
    caller may apply, else NotInScope) and the caller's own sort and page."""
    raw = query.get("segment") or ""
    if not raw:
        return query, None
    if not raw.isdigit() or len(raw) > 18:
        raise NotInScope(Segment)
    segment = selectors.segment_get(actor=actor, segment_id=int(raw))
    data = QueryDict(mutable=True)
    for key, values in (segment.query or {}).items():
        if is_segment_param(key) and isinstance(values, list):
            data.setlist(key, [str(v) for v in values])
    for key in OWN_PARAMS:
        if key in query:
            data.setlist(key, query.getlist(key))
    return data, segment


def segment_accounts(*, actor: User, segment_id: Any) -> QuerySet[Account]:
    """The caller's accounts in segment ``segment_id`` (NotInScope when the caller may not
    apply it)."""
    params, _segment = segment_params(actor, QueryDict(f"segment={segment_id}"))
    form = AccountFilterForm(params, actor=actor)
    if not form.is_valid():
        return Account.objects.none()
    return selectors.account_table_queryset(actor=actor, filters=form.filters())


def segment_among(*, actor: User, segment_id: int | None) -> QuerySet[Account] | None:
    """An API call's ``?segment=``: None when not given, else its accounts (the selectors'
    ``among``); a segment the caller may not apply is a DomainError naming ``query.segment``."""
    if segment_id is None:
        return None
    try:
        return segment_accounts(actor=actor, segment_id=segment_id)
    except NotInScope:
        raise DomainError(
            "query.segment", _("No segment with this id is yours or shared with your team.")
        ) from None
