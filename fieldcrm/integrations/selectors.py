"""Reads: the integrations (admins), the unknown callers waiting to be made leads."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from fieldcrm.access import get_scoped, scoped
from fieldcrm.integrations.models import Call, Integration
from fieldcrm.users.models import User


def integration_list(*, actor: User) -> QuerySet[Integration]:
    return scoped(Integration, actor).annotate(
        call_count=Count("calls", distinct=True), message_count=Count("messages", distinct=True)
    )


def integration_get(*, actor: User, integration_id: object) -> Integration:
    return get_scoped(Integration, actor, integration_id)


def integration_recent_calls(*, actor: User, integration_id: object) -> QuerySet[Call]:
    integration = integration_get(actor=actor, integration_id=integration_id)
    return (
        scoped(Call, actor).filter(integration=integration).select_related("account", "answered_by")
    )


def unknown_callers(*, actor: User) -> QuerySet[Call]:
    """Calls from numbers matching no account, newest first (managers and admins)."""
    return scoped(Call, actor).filter(account__isnull=True).select_related("integration")


def owner_choices(*, actor: User) -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("username")
