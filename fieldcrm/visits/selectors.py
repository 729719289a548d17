"""Reads of visits. Every one starts from the caller's scope."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from fieldcrm.access import get_scoped, scoped
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit
from fieldcrm.visits.schemas import VisitFilters


def visit_list(*, actor: User, filters: VisitFilters) -> QuerySet[Visit]:
    """The caller's visits (a rep: their own), newest scheduled first, ties by id."""
    qs = scoped(Visit, actor).select_related("account")
    if filters.rep is not None:
        qs = qs.filter(rep_id=filters.rep)
    if filters.account is not None:
        qs = qs.filter(account_id=filters.account)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    # A visit's day is its scheduled date, or the day it was checked in when unscheduled.
    if filters.date_from is not None:
        qs = qs.filter(
            Q(scheduled_on__gte=filters.date_from)
            | Q(scheduled_on__isnull=True, checked_in_at__date__gte=filters.date_from)
        )
    if filters.date_to is not None:
        qs = qs.filter(
            Q(scheduled_on__lte=filters.date_to)
            | Q(scheduled_on__isnull=True, checked_in_at__date__lte=filters.date_to)
        )
    return qs.order_by(
        F("scheduled_on").desc(nulls_last=True), F("checked_in_at").desc(nulls_last=True), "id"
    )


def visit_get(*, actor: User, visit_id: object) -> Visit:
    """One visit the caller may see (NotInScope otherwise)."""
    return get_scoped(Visit, actor, visit_id)
