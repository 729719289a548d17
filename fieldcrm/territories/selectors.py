"""Reads of regions and territories, with account counts, as rows or GeoJSON. Scoped."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from fieldcrm.access import get_scoped, scoped
from fieldcrm.accounts.models import Account
from fieldcrm.core.schemas import geojson_feature
from fieldcrm.territories.models import Region, Territory
from fieldcrm.territories.schemas import TerritoryFilters, boundary_geojson
from fieldcrm.users.models import User

_LIVE = Q(accounts__deleted_at__isnull=True)


def _count(rows: QuerySet) -> Coalesce:
    """COUNT(*) of ``rows`` (filtered on an OuterRef) as a subquery that is 0 when empty."""
    return Coalesce(
        Subquery(
            rows.order_by()
            .annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
            .values("n")[:1]
        ),
        0,
    )


# The rows carry annotated counts (territory_count, account_count): typed as Any rows.
def region_list(*, actor: User) -> QuerySet[Region, Any]:
    """The caller's regions with the territories and (live) accounts *the caller* sees in each,
    by name: a rep's region shows their territories and accounts, not the region's totals."""
    territories = scoped(Territory, actor).filter(region=OuterRef("pk"))
    accounts = scoped(Account, actor).filter(territory__region=OuterRef("pk"))
    return (
        scoped(Region, actor)
        .annotate(territory_count=_count(territories), account_count=_count(accounts))
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
