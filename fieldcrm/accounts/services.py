"""Writes to accounts. Admin, API, import and commands all come through here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction

from fieldcrm.accounts.models import Account, Tag
from fieldcrm.territories.models import Territory


def territory_for_point(
    point: Point | None, *, current: Territory | None = None, prefer: Territory | None = None
) -> Territory | None:
    """The territory containing ``point``.

    Where territories touch or overlap, a point lies in several. Then the territory whose
    boundary was just edited (``prefer``) wins, as the latest intent; otherwise the account
    stays where it is (no flapping), else it goes to the oldest territory, so the answer is
    deterministic on both databases.
    """
    if point is None:
        return None
    candidates = list(
        Territory.objects.filter(boundary__intersects=point).order_by("pk").only("pk")
    )
    for choice in (prefer, current):
        if choice is not None and any(t.pk == choice.pk for t in candidates):
            return choice
    return candidates[0] if candidates else None


def account_reassign_territory(*, account: Account, prefer: Territory | None = None) -> Account:
    """Recompute the territory from the location; saves only when it changed."""
    territory = territory_for_point(account.location, current=account.territory, prefer=prefer)
    if territory != account.territory:
        account.territory = territory
        account.save(update_fields=["territory"])
    return account


@transaction.atomic
def account_save(*, account: Account, tags: Iterable[str] | None = None) -> Account:
    """Validate and save an account, keeping its territory in step with its location."""
    account.full_clean(exclude=["territory"])
    account.territory = territory_for_point(account.location, current=account.territory)
    account.save()
    if tags is not None:
        account_set_tags(account=account, tags=tags)
    return account


def account_create(*, fields: dict[str, Any], tags: Iterable[str] | None = None) -> Account:
    """Create an account from plain field values."""
    return account_save(account=Account(**fields), tags=tags)


def account_update(
    *, account: Account, fields: dict[str, Any], tags: Iterable[str] | None = None
) -> Account:
    """Apply a partial update; nothing is saved if any field is refused."""
    for name, value in fields.items():
        setattr(account, name, value)
    return account_save(account=account, tags=tags)


def account_set_tags(*, account: Account, tags: Iterable[str]) -> None:
    names = sorted({t.strip() for t in tags if t and t.strip()})
    account.tags.set([Tag.objects.get_or_create(name=name)[0] for name in names])


@transaction.atomic
def account_delete(*, account: Account) -> None:
    """Soft delete: the row stays as a tombstone so phones learn of the deletion."""
    account.soft_delete()
