"""Reads of accounts. Every one starts from the caller's scope."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Polygon
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from fieldcrm.access import get_scoped, scoped
from fieldcrm.accounts import matching
from fieldcrm.accounts.models import Account, Activity, Contact, Tag
from fieldcrm.accounts.schemas import AccountFilters, parse_bbox, parse_near
from fieldcrm.core import geo
from fieldcrm.core.pagination import total
from fieldcrm.geocoding.models import NEEDS_REVIEW
from fieldcrm.territories.models import Territory
from fieldcrm.users.models import User


def account_list(
    *, actor: User, filters: AccountFilters, among: QuerySet[Account] | None = None
) -> QuerySet[Account]:
    """The caller's accounts matching ``filters``: by distance when ``near`` is given, else by
    name; ties broken by id so pages are stable. ``among``: only these (``filters.segment``
    resolved by the workspace, which this app does not know)."""
    qs = _filtered(actor, filters, among)
    if filters.near:
        lat, lng = parse_near(filters.near)
        return geo.order_by_distance(qs, lat=lat, lng=lng)
    return qs.order_by("name", "id")


def account_page(
    *,
    actor: User,
    filters: AccountFilters,
    offset: int,
    limit: int,
    among: QuerySet[Account] | None = None,
) -> dict[str, object]:
    """One page of ``account_list`` and the total count.

    ``near`` without a radius is "the nearest N": rather than sorting every account by
    distance, the page comes from an index-driven nearest search of ``offset + limit`` rows.
    """
    qs = account_list(actor=actor, filters=filters, among=among)
    if filters.near and filters.radius_m is None:
        lat, lng = parse_near(filters.near)
        within = _filtered(actor, filters, among)
        nearest = geo.nearest(within, lat=lat, lng=lng, limit=offset + limit)
        return {"items": list(nearest)[offset:], "count": qs.order_by().count()}
    items = list(qs[offset : offset + limit])
    return {"items": items, "count": total(qs, items, offset, limit)}


def _filtered(
    actor: User, filters: AccountFilters, among: QuerySet[Account] | None
) -> QuerySet[Account]:
    if filters.segment is not None and among is None:
        raise ValueError("filters.segment must be resolved to `among` by the caller")
    qs = scoped(Account, actor).prefetch_related(
        Prefetch("tags", queryset=Tag.objects.only("name"))
    )
    if among is not None:
        qs = qs.filter(pk__in=among.values("pk"))
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(address__icontains=text)
            | Q(email__icontains=text)
            | Q(phone__icontains=text)
        )
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.tag:
        qs = qs.filter(
            pk__in=Account.tags.through.objects.filter(tag__name=filters.tag).values("account")
        )
    if filters.territory is not None:
        qs = qs.filter(territory_id=filters.territory)
    if filters.within_territory is not None:
        boundary = scoped(Territory, actor).filter(pk=filters.within_territory).values("boundary")
        qs = qs.filter(location__within=boundary[:1]) if boundary.exists() else qs.none()
    if filters.owner is not None:
        qs = qs.filter(owner_id=filters.owner)
    if filters.updated_since is not None:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    if filters.due is not None:
        due = Q(visit_due_at__lte=timezone.now())
        qs = qs.filter(due) if filters.due else qs.exclude(due)
    if getattr(filters, "needs_review", None) is not None:
        review = Q(geocode_quality__in=NEEDS_REVIEW)
        qs = qs.filter(review) if filters.needs_review else qs.exclude(review)
    if filters.bbox:
        west, south, east, north = parse_bbox(filters.bbox)
        qs = geo.in_bbox(qs, west=west, south=south, east=east, north=north)
    if filters.near and filters.radius_m is not None:
        lat, lng = parse_near(filters.near)
        qs = geo.within_radius(qs, lat=lat, lng=lng, radius_m=filters.radius_m)
    return qs


def account_get(*, actor: User, account_id: object) -> Account:
    """One account the caller may see (NotInScope otherwise)."""
    return get_scoped(Account, actor, account_id)


def contact_list(*, actor: User, account_id: object) -> QuerySet[Contact]:
    account = account_get(actor=actor, account_id=account_id)
    return Contact.objects.filter(account=account)


def activity_list(*, actor: User, account_id: object) -> QuerySet[Activity]:
    """An account's timeline, newest first."""
    account = account_get(actor=actor, account_id=account_id)
    return (
        Activity.objects.filter(account=account)
        .select_related("actor")
        .order_by("-occurred_at", "id")
    )


def account_feature_collection(
    *, actor: User, filters: AccountFilters, limit: int, among: QuerySet[Account] | None = None
) -> dict:
    """The list's filters as a GeoJSON FeatureCollection (accounts without a location omitted)."""
    qs = account_list(actor=actor, filters=filters, among=among).filter(location__isnull=False)
    features = [
        {
            "type": "Feature",
            "id": str(a.pk),
            "geometry": {"type": "Point", "coordinates": list(a.location.coords)},  # type: ignore[union-attr]  # location__isnull=False
            "properties": {
                "name": a.name,
                "status": a.status,
                "tier": a.tier,
                "territory_id": a.territory_id,
                "owner_id": a.owner_id,
                "visit_due_at": a.visit_due_at.isoformat() if a.visit_due_at else None,
            },
        }
        for a in qs[: max(1, min(limit, 10_000))]
    ]
    return {"type": "FeatureCollection", "features": features}


def account_duplicates(
    *,
    actor: User,
    name: str = "",
    email: str = "",
    phone: str = "",
    location: tuple[float, float] | None = None,
    exclude_id: object = None,
    limit: int = 10,
) -> list[tuple[Account, list[str]]]:
    """Accounts in the caller's scope that are possibly the same as the one described (the rule
    is matching.py's), each with why: "email", "phone", "name". Accounts outside the caller's
    scope are never named (a rep's new prospect is checked against what the rep may see; a
    manager sees the whole region's)."""
    found: dict[Any, tuple[Account, list[str]]] = {}
    base = scoped(Account, actor).exclude(pk=exclude_id) if exclude_id else scoped(Account, actor)

    def add(qs: QuerySet[Account], why: str) -> None:
        for account in qs[: limit * 4]:
            found.setdefault(account.pk, (account, []))[1].append(why)

    if key := matching.email_key(email):
        add(base.filter(email_key=key), "email")
    if key := matching.phone_key(phone):
        add(base.filter(phone_key=key), "phone")
    if name and location is not None:
        lng, lat = location
        box = Polygon.from_bbox(matching.box_around(lng, lat))
        box.srid = 4326
        for account in base.filter(location__intersects=box)[:500]:
            near = matching.metres_between(lng, lat, account.location.x, account.location.y)
            if near <= matching.NEAR_M and matching.names_similar(name, account.name):
                found.setdefault(account.pk, (account, []))[1].append("name")
    ranked = sorted(found.values(), key=lambda hit: (-len(hit[1]), hit[0].name, str(hit[0].pk)))
    return ranked[:limit]
