"""Writes to regions and territories; moving a boundary re-assigns the accounts it touches."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from fieldcrm.accounts.models import Account
from fieldcrm.accounts.services import account_reassign_territory
from fieldcrm.core.geo import as_multipolygon
from fieldcrm.territories.models import Region, Territory


@transaction.atomic
def territory_save(*, territory: Territory) -> Territory:
    """Validate and save a territory, then re-assign every account its boundary touched."""
    old_boundary = None
    if territory.pk:
        old_boundary = (
            Territory.objects.filter(pk=territory.pk).values_list("boundary", flat=True).first()
        )
    territory.boundary = as_multipolygon(territory.boundary)
    territory.full_clean()
    territory.save()
    _reassign_around(territory, old_boundary)
    return territory


def territory_set_boundary(*, territory: Territory, boundary: GEOSGeometry) -> Territory:
    """Move a territory's boundary; accounts inside the old or new shape are re-assigned."""
    territory.boundary = boundary
    return territory_save(territory=territory)


@transaction.atomic
def territory_delete(*, territory: Territory) -> None:
    """Delete a territory; its accounts fall to a neighbour or to none."""
    account_ids = list(territory.accounts.values_list("pk", flat=True))
    territory.delete()
    for account in Account.objects.filter(pk__in=account_ids):
        account_reassign_territory(account=account)


def _reassign_around(territory: Territory, old_boundary: GEOSGeometry | None) -> None:
    affected = Account.objects.filter(
        location__intersects=territory.boundary
    ) | Account.objects.filter(territory=territory)
    if old_boundary is not None:
        affected = affected | Account.objects.filter(location__intersects=old_boundary)
    for account in affected.distinct().select_related("territory"):
        account_reassign_territory(account=account, prefer=territory)


@transaction.atomic
def region_save(*, region: Region) -> Region:
    """Validate and save a region."""
    if region.boundary is not None:
        region.boundary = as_multipolygon(region.boundary)
    region.full_clean()
    region.save()
    return region
