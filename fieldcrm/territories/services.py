"""Writes to regions and territories; moving a boundary re-assigns the accounts it touches."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon
from django.db import transaction
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, can_create, get_scoped, require_role, scoped
from fieldcrm.accounts.models import Account
from fieldcrm.accounts.services import account_reassign_territory
from fieldcrm.core.errors import DomainError
from fieldcrm.core.geo import SRID, as_multipolygon
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User


@transaction.atomic
def territory_save(*, territory: Territory, actor: User | None = None) -> Territory:
    """Validate and save a territory, then re-assign every account its boundary touched
    (audited as ``actor``'s when given)."""
    old_boundary = None
    if territory.pk:
        old_boundary = (
            Territory.objects.filter(pk=territory.pk).values_list("boundary", flat=True).first()
        )
    territory.boundary = as_multipolygon(territory.boundary)
    territory.full_clean()
    territory.save()
    _reassign_around(territory, old_boundary, actor)
    return territory


def territory_set_boundary(
    *, territory: Territory, boundary: MultiPolygon, actor: User | None = None
) -> Territory:
    """Move a territory's boundary; accounts inside the old or new shape are re-assigned."""
    territory.boundary = boundary
    return territory_save(territory=territory, actor=actor)


@transaction.atomic
def territory_delete(*, territory: Territory) -> None:
    """Delete a territory; its accounts fall to a neighbour or to none."""
    account_ids = list(territory.accounts.values_list("pk", flat=True))
    territory.delete()
    for account in Account.objects.filter(pk__in=account_ids):
        account_reassign_territory(account=account)


def _reassign_around(
    territory: Territory, old_boundary: GEOSGeometry | None, actor: User | None = None
) -> None:
    affected = Account.objects.filter(
        location__intersects=territory.boundary
    ) | Account.objects.filter(territory=territory)
    if old_boundary is not None:
        affected = affected | Account.objects.filter(location__intersects=old_boundary)
    for account in affected.distinct().select_related("territory"):
        account_reassign_territory(account=account, prefer=territory, actor=actor)


@transaction.atomic
def region_save(*, region: Region) -> Region:
    """Validate and save a region."""
    if region.boundary is not None:
        region.boundary = as_multipolygon(region.boundary)
    region.full_clean()
    region.save()
    return region


# --- Writes on behalf of a user (API): scope and role checked here, once. ---


def parse_boundary(value: dict[str, Any] | None, *, field: str = "boundary") -> MultiPolygon | None:
    """A GeoJSON Polygon/MultiPolygon (or a Feature of one) as a MultiPolygon in SRID 4326."""
    if value is None:
        return None
    if value.get("type") == "Feature":
        value = value.get("geometry") or {}
    if value.get("type") not in ("Polygon", "MultiPolygon"):
        raise DomainError(field, _("Expected a GeoJSON Polygon or MultiPolygon."))
    try:
        geom = GEOSGeometry(json.dumps(value))
    except (ValueError, TypeError, GEOSException, GDALException):
        raise DomainError(field, _("This is not valid GeoJSON.")) from None
    geom.srid = SRID
    return as_multipolygon(geom)


def _reps(actor: User, rep_ids: list[int]) -> list[User]:
    reps = list(scoped(User, actor).filter(pk__in=set(rep_ids), role=User.Role.REP))
    if len(reps) != len(set(rep_ids)):
        raise DomainError("rep_ids", _("No such rep in your scope."))
    return reps


def _writable_region(actor: User, region_id: int) -> Region:
    region = scoped(Region, actor, write=True).filter(pk=region_id).first()
    if region is None:
        raise DomainError("region_id", _("No such region in your scope."))
    return region


def _check_name_free(territory: Territory) -> None:
    taken = Territory.objects.filter(region_id=territory.region_id, name=territory.name)
    if taken.exclude(pk=territory.pk).exists():
        raise DomainError("name", _("The region already has a territory of this name."))


@transaction.atomic
def territory_create_by(*, actor: User, data: dict[str, Any]) -> Territory:
    """A territory in one of the caller's regions; the accounts inside move to it."""
    if not can_create(Territory, actor):
        raise NotAllowed(_("Your role may not create territories."))
    territory = Territory(
        name=data["name"].strip(),
        region=_writable_region(actor, data["region_id"]),
        boundary=parse_boundary(data["boundary"]),  # type: ignore[misc]  # the schema requires it
    )
    _check_name_free(territory)
    reps = _reps(actor, data.get("rep_ids") or [])
    territory_save(territory=territory)
    territory.reps.set(reps)
    return territory


@transaction.atomic
def territory_update_by(*, actor: User, territory_id: int, data: dict[str, Any]) -> Territory:
    """Edit a territory; a new boundary re-assigns the accounts of the old and new shapes."""
    territory = get_scoped(Territory, actor, territory_id, write=True)
    for name in ("name", "region_id", "boundary"):
        if name in data and data[name] is None:
            raise DomainError(name, _("This field cannot be empty."))
    if data.get("name") is not None:
        territory.name = data["name"].strip()
    if data.get("region_id") is not None:
        territory.region = _writable_region(actor, data["region_id"])
    _check_name_free(territory)
    boundary = parse_boundary(data.get("boundary"))
    if boundary is not None:
        territory_set_boundary(territory=territory, boundary=boundary)
    else:
        territory_save(territory=territory)
    if data.get("rep_ids") is not None:
        territory.reps.set(_reps(actor, data["rep_ids"]))
    return territory


def territory_delete_by(*, actor: User, territory_id: int) -> None:
    territory_delete(territory=get_scoped(Territory, actor, territory_id, write=True))


def _manager(actor: User, manager_id: int | None) -> User | None:
    if manager_id is None:
        return None
    require_role(actor)  # only admins name a region's manager
    manager = User.objects.filter(pk=manager_id, role=User.Role.MANAGER).first()
    if manager is None:
        raise DomainError("manager_id", _("No such manager."))
    return manager


def region_create_by(*, actor: User, data: dict[str, Any]) -> Region:
    """A new region (admins)."""
    if not can_create(Region, actor):
        raise NotAllowed(_("Your role may not create regions."))
    region = Region(
        name=data["name"].strip(),
        boundary=parse_boundary(data.get("boundary")),
        manager=_manager(actor, data.get("manager_id")),
        timezone=data.get("timezone") or "UTC",
    )
    return region_save(region=region)


@transaction.atomic
def region_update_by(*, actor: User, region_id: int, data: dict[str, Any]) -> Region:
    """Edit a region (its managers: name, boundary, time zone; admins also its manager)."""
    region = get_scoped(Region, actor, region_id, write=True)
    if "manager_id" in data:
        if actor.is_admin:
            region.manager = _manager(actor, data["manager_id"])
        elif data["manager_id"] != region.manager_id:
            require_role(actor)
    if "boundary" in data:
        region.boundary = parse_boundary(data["boundary"])
    for name in ("name", "timezone"):
        if name in data:
            if data[name] is None:
                raise DomainError(name, _("This field cannot be empty."))
            setattr(region, name, data[name].strip())
    return region_save(region=region)


@transaction.atomic
def region_delete_by(*, actor: User, region_id: int) -> None:
    """Delete an empty region (admins)."""
    region = get_scoped(Region, actor, region_id, write=True)
    require_role(actor)
    if region.territories.exists():
        raise DomainError("region_id", _("Delete or move the region's territories first."))
    region.delete()
