"""Reads of regions and territories, with account counts, as rows or GeoJSON. Scoped."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from fieldcrm.access import get_scoped, scoped
from fieldcrm.core.schemas import geojson_feature
from fieldcrm.territories.models import Region, Territory
from fieldcrm.territories.schemas import TerritoryFilters, boundary_geojson
from fieldcrm.users.models import User

_LIVE = Q(accounts__deleted_at__isnull=True)


# The rows carry annotated counts (territory_count, account_count): typed as Any rows.
def region_list(*, actor: User) -> QuerySet[Region, Any]:
    """The caller's regions with their territory and (live) account counts, by name."""
    return (
        scoped(Region, actor)
        .annotate(
            territory_count=Count("territories", distinct=True),
            account_count=Count(
                "territories__accounts",
                filter=Q(territories__accounts__deleted_at__isnull=True),
                distinct=True,
            ),
        )
        .order_by("name", "id")
    )


def region_get(*, actor: User, region_id: int) -> Region:
    get_scoped(Region, actor, region_id)
    return region_list(actor=actor).get(pk=region_id)


def territory_list(
    *, actor: User, filters: TerritoryFilters | None = None
) -> QuerySet[Territory, Any]:
    """The caller's territories with reps and (live) account counts, by region and name."""
    qs = (
        scoped(Territory, actor)
        .annotate(account_count=Count("accounts", filter=_LIVE))
        .prefetch_related(Prefetch("reps", queryset=User.objects.only("id")))
    )
    if filters is not None and filters.region is not None:
        qs = qs.filter(region_id=filters.region)
    return qs.order_by("region__name", "name", "id")


def territory_get(*, actor: User, territory_id: int) -> Territory:
    get_scoped(Territory, actor, territory_id)
    return territory_list(actor=actor).get(pk=territory_id)


def region_feature_collection(*, actor: User) -> dict[str, Any]:
    features = [
        geojson_feature(
            boundary_geojson(r.boundary),
            {
                "name": r.name,
                "manager_id": r.manager_id,
                "timezone": r.timezone,
                "territory_count": r.territory_count,
                "account_count": r.account_count,
            },
            r.pk,
        )
        for r in region_list(actor=actor)
    ]
    return {"type": "FeatureCollection", "features": features}


def territory_feature_collection(*, actor: User, filters: TerritoryFilters) -> dict[str, Any]:
    features = [
        geojson_feature(
            boundary_geojson(t.boundary),
            {
                "name": t.name,
                "region_id": t.region_id,
                "rep_ids": sorted(rep.pk for rep in t.reps.all()),
                "account_count": t.account_count,
            },
            t.pk,
        )
        for t in territory_list(actor=actor, filters=filters)
    ]
    return {"type": "FeatureCollection", "features": features}
