"""Writes for user and custom-field management: admins only."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, can_create, get_scoped, require_role
from fieldcrm.accounts.models import Account, CustomFieldDefinition
from fieldcrm.core.errors import DomainError
from fieldcrm.territories.models import Region
from fieldcrm.users.models import User
from fieldcrm.users.services import password_check, user_revoke_access

_TEXT = ("first_name", "last_name", "email")


def _apply(user: User, data: dict[str, Any]) -> list[Region] | None:
    """Copy plain fields onto ``user``; return the regions to set (None: unchanged)."""
    password = data.pop("password", None)
    region_ids = data.pop("region_ids", None)
    if "home_base" in data:
        loc = data.pop("home_base")
        user.home_base = None if loc is None else Point(loc["lng"], loc["lat"], srid=4326)
    for name, value in data.items():
        if value is None and name not in ("break_start", "break_end"):
            if name not in _TEXT:
                raise DomainError(name, _("This field cannot be empty."))
            value = ""
        setattr(user, name, value)
    if password:
        password_check(user=user, password=password)
        user.set_password(password)
    if region_ids is None:
        return None
    regions = list(Region.objects.filter(pk__in=set(region_ids)))
    if len(regions) != len(set(region_ids)):
        raise DomainError("region_ids", _("No such region."))
    return regions


def _save(user: User, regions: list[Region] | None) -> User:
    user.full_clean()
    user.save()
    if regions is not None:
        user.regions.set(regions)
    return user


@transaction.atomic
def user_create(*, actor: User, data: dict[str, Any]) -> User:
    """A new user with a role, regions, home base and working day (admins)."""
    if not can_create(User, actor):
        raise NotAllowed(_("Only admins manage users."))
    if User.objects.filter(username__iexact=data["username"]).exists():
        raise DomainError("username", _("This username is taken."))
    user = User(username=data.pop("username"))
    if not data.get("password"):
        user.set_unusable_password()
    regions = _apply(user, {k: v for k, v in data.items() if v is not None or k == "password"})
    user.is_staff = user.is_superuser = user.role == User.Role.ADMIN
    return _save(user, regions)


@transaction.atomic
def user_update(*, actor: User, user_id: int, data: dict[str, Any]) -> User:
    """Change a user's role, regions, schedule… (admins)."""
    require_role(actor)
    user = get_scoped(User, actor, user_id, write=True)
    if user.pk == actor.pk and (
        data.get("role") not in (None, actor.role) or data.get("is_active") is False
    ):
        raise DomainError("role", _("You cannot demote or deactivate yourself."))
    regions = _apply(user, data)
    user.is_staff = user.is_superuser = user.role == User.Role.ADMIN
    return _save(user, regions)


@transaction.atomic
def user_revoke_access_by(*, actor: User, user_id: int) -> dict[str, Any]:
    """End every session and token of a user in the caller's scope, in one step (admins, and
    managers for their region's people); their phone wipes itself when it next calls in."""
    require_role(actor, User.Role.MANAGER)
    user = get_scoped(User, actor, user_id, write=True)
    if user.pk == actor.pk:
        raise NotAllowed(_("You cannot revoke your own access; log out instead."))
    if user.is_admin and not actor.is_admin:
        raise NotAllowed(_("Only admins may revoke an admin's access."))
    tokens = user_revoke_access(user=user)
    return {"user_id": user.pk, "access_revoked_at": user.access_revoked_at,
            "tokens_revoked": tokens}  # fmt: skip


def _save_field(field: CustomFieldDefinition) -> CustomFieldDefinition:
    field.full_clean()
    field.save()
    return field


@transaction.atomic
def custom_field_create(*, actor: User, data: dict[str, Any]) -> CustomFieldDefinition:
    if not can_create(CustomFieldDefinition, actor):
        raise NotAllowed(_("Only admins define custom fields."))
    if CustomFieldDefinition.objects.filter(key=data["key"]).exists():
        raise DomainError("key", _("A field with this key already exists."))
    return _save_field(CustomFieldDefinition(**data))


@transaction.atomic
def custom_field_update(
    *, actor: User, field_id: int, data: dict[str, Any]
) -> CustomFieldDefinition:
    field = get_scoped(CustomFieldDefinition, actor, field_id, write=True)
    old_kind, old_choices = field.kind, list(field.choices)
    for name, value in data.items():
        if value is None and name not in ("min_value", "max_value"):
            raise DomainError(name, _("This field cannot be empty."))
        setattr(field, name, value)
    if field.kind != old_kind and field.kind == field.Kind.TEXT:
        field.choices = []  # a choice field turned to text keeps no list to edit
    _check_values_fit(field, old_kind=old_kind, old_choices=old_choices)
    return _save_field(field)


def _check_values_fit(
    field: CustomFieldDefinition, *, old_kind: str, old_choices: list[Any]
) -> None:
    """Refuse a change that would leave accounts holding values the field no longer accepts:
    another kind while any account has a value, or a choice dropped that accounts still use.
    Converting values between kinds is not guessed; the admin clears them first (bulk change)."""
    holders = Account.objects.filter(custom_fields__has_key=field.key)
    if field.kind != old_kind and holders.exists():
        raise DomainError("kind", _(
            "%(count)s accounts have a value for this field: its kind cannot change. Clear "
            "those values first, or add a new field."
        ) % {"count": holders.count()})  # fmt: skip
    if field.kind != field.Kind.CHOICE:
        return
    for dropped in [c for c in old_choices if c not in field.choices]:
        value = KeyTransform(field.key, "custom_fields")
        used = holders.annotate(value=value).filter(value=dropped).count()
        if used:
            raise DomainError("choices", _(
                "“%(choice)s” is used by %(count)s accounts: change their value before "
                "removing it."
            ) % {"choice": dropped, "count": used})  # fmt: skip


@transaction.atomic
def custom_field_set_active(
    *, actor: User, field_id: int, is_active: bool
) -> CustomFieldDefinition:
    """Deactivate a field (no longer offered or required; its values kept) or reactivate it."""
    field = get_scoped(CustomFieldDefinition, actor, field_id, write=True)
    field.is_active = is_active
    field.save(update_fields=["is_active"])
    return field


def custom_field_delete(*, actor: User, field_id: int) -> None:
    get_scoped(CustomFieldDefinition, actor, field_id, write=True).delete()
