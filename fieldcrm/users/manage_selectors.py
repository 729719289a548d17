"""Reads for user and custom-field management (admins; managers list their region's users)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform

from fieldcrm.access import get_scoped, require_role, scoped
from fieldcrm.accounts.models import Account, CustomFieldDefinition
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User
from fieldcrm.users.schemas import UserFilters


def user_list(*, actor: User, filters: UserFilters) -> QuerySet[User]:
    """Users the caller manages: admins all, managers their region's; others are refused."""
    require_role(actor, User.Role.MANAGER)
    qs = scoped(User, actor).prefetch_related(
        Prefetch("regions", queryset=Region.objects.only("id")),
        Prefetch("territories", queryset=Territory.objects.only("id")),
    )
    if filters.role is not None:
        qs = qs.filter(role=filters.role)
    if filters.region is not None:
        in_region = Q(regions=filters.region) | Q(territories__region=filters.region)
        qs = qs.filter(pk__in=User.objects.filter(in_region).values("pk"))
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(
            Q(username__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
        )
    return qs.order_by("username", "id")


def user_get(*, actor: User, user_id: int) -> User:
    require_role(actor, User.Role.MANAGER)
    return get_scoped(User, actor, user_id)


def custom_field_list(*, actor: User) -> list[CustomFieldDefinition]:
    """The definitions, each with ``missing_count``: the caller's accounts without a value for
    it (a field made required later is reported on existing accounts, not enforced there)."""
    definitions = list(scoped(CustomFieldDefinition, actor).order_by("key", "id"))
    accounts = scoped(Account, actor)
    for d in definitions:
        missing = 0
        if d.is_required:
            value = accounts.annotate(value=KeyTextTransform(d.key, "custom_fields"))
            missing = value.filter(Q(value__isnull=True) | Q(value="")).count()
        setattr(d, "missing_count", missing)  # noqa: B010 - read by CustomFieldOut
    return definitions


def custom_field_get(*, actor: User, field_id: int) -> CustomFieldDefinition:
    return get_scoped(CustomFieldDefinition, actor, field_id)


def custom_field_holders(*, actor: User, field_id: int) -> int:
    """How many accounts (all of them: the field is everyone's) hold a value for the field,
    which is what stops its kind from changing."""
    field = get_scoped(CustomFieldDefinition, actor, field_id)
    return Account.objects.filter(custom_fields__has_key=field.key).count()
