"""Reads for the manager pages: the caller's scope turned into the plain data `maps/` draws.

Every selector starts from `scoped(...)`. The account points are read with `values_list` (no
model instances, no GEOS objects: the coordinates come out of the database as two floats), and
names are looked up from small dictionaries, so the query count does not grow with the number
of accounts or territories.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import Count, F, FloatField, Func, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from fieldcrm.access import scoped
from fieldcrm.accounts.models import Account, Tag
from fieldcrm.core import geo
from fieldcrm.crm.segments import segment_accounts
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User
from maps.data import STATUSES, AccountPoint, RegionShape, TerritoryMapData, TerritoryShape

# The map draws the live statuses only; disqualified and churned accounts are not field work.
MAP_STATUSES: tuple[str, ...] = STATUSES
OTHER_STATUSES = tuple(s for s in Account.Status.values if s not in MAP_STATUSES)
SELECTION_LIST_LIMIT = 500


@dataclass(frozen=True)
class MapFilters:
    """The map's GET filters, already validated against the caller's scope (forms.py)."""

    region: int | None = None
    territory: int | None = None
    rep: int | None = None
    statuses: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    min_days: int | None = None  # not visited for at least this many days (never included)
    max_days: int | None = None  # visited within this many days
    segment: int | None = None  # a saved segment's accounts (crm.segments)


class _X(Func):
    """ST_X (same name on PostGIS and SpatiaLite). Both drivers already answer a float, so
    Django's per-row float() converter is skipped: ~0.1 s at 100k rows."""

    function = "ST_X"
    output_field = FloatField()

    @property
    def convert_value(self) -> Any:
        return self._convert_value_noop  # type: ignore[attr-defined]  # Django's own no-op


class _Y(_X):
    function = "ST_Y"


def person_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def map_reps(*, actor: User) -> QuerySet[User]:
    """The reps the caller may filter by and assign accounts to."""
    return scoped(User, actor).filter(role=User.Role.REP, is_active=True).order_by("username")


def map_accounts(*, actor: User, filters: MapFilters, now: dt.datetime | None = None) -> QuerySet:
    """The caller's located accounts matching the map's filters."""
    now = now or timezone.now()
    qs = scoped(Account, actor).filter(location__isnull=False)
    if filters.statuses:
        qs = qs.filter(status__in=filters.statuses)
    else:
        # NOT IN rather than IN: with IN, SQLite walks the status index and fetches ~all rows
        # one by one (~40 % slower than the table scan it picks for NOT IN).
        qs = qs.exclude(status__in=OTHER_STATUSES)
    if filters.region is not None:
        qs = qs.filter(territory__region_id=filters.region)
    if filters.territory is not None:
        qs = qs.filter(territory_id=filters.territory)
    if filters.rep is not None:
        book = Territory.objects.filter(reps=filters.rep).values("pk")
        qs = qs.filter(Q(owner_id=filters.rep) | Q(territory__in=book))
    if filters.tags:
        tagged = Account.tags.through.objects.filter(tag__name__in=filters.tags)
        qs = qs.filter(pk__in=tagged.values("account"))
    if filters.min_days is not None:
        cutoff = now - dt.timedelta(days=filters.min_days)
        qs = qs.filter(Q(last_visited_at__isnull=True) | Q(last_visited_at__lte=cutoff))
    if filters.max_days is not None:
        qs = qs.filter(last_visited_at__gte=now - dt.timedelta(days=filters.max_days))
    if filters.segment is not None:
        chosen = segment_accounts(actor=actor, segment_id=filters.segment)
        qs = qs.filter(pk__in=chosen.values("pk"))
    return qs


def _territory_reps(territory_ids: set[int] | None) -> dict[int, str]:
    """Territory id -> its reps' names, comma separated (one query)."""
    through = Territory.reps.through.objects.all()
    if territory_ids is not None:
        through = through.filter(territory_id__in=territory_ids)
    rows = through.order_by("user__username").values_list(
        "territory_id", "user__first_name", "user__last_name", "user__username"
    )
    names: dict[int, list[str]] = {}
    for territory_id, first, last, username in rows:
        names.setdefault(territory_id, []).append(person_name(first, last, username))
    return {tid: ", ".join(reps) for tid, reps in names.items()}


def _days_since(now_utc: dt.datetime) -> Any:
    """Parser of a timestamp as text (UTC, ISO-like on both backends) to whole days before
    ``now_utc``; memoised, since many accounts share a last-visit time."""
    naive_now = now_utc.astimezone(dt.UTC).replace(tzinfo=None)
    cache: dict[str, int] = {}

    def days(text: str | None) -> int | None:
        if text is None:
            return None
        if text not in cache:
            cache[text] = (naive_now - dt.datetime.fromisoformat(text[:19])).days
        return cache[text]

    return days


def map_points(
    *, actor: User, filters: MapFilters, now: dt.datetime | None = None
) -> list[AccountPoint]:
    """The accounts as map points: 3 queries whatever the count (accounts, owners, reps)."""
    return _points_and_counts(actor=actor, filters=filters, now=now)[0]


Counts = dict[int, dict[str, int]]


def _points_and_counts(
    *, actor: User, filters: MapFilters, now: dt.datetime | None = None
) -> tuple[list[AccountPoint], Counts]:
    """Map points and, from the same rows, per territory id the count of each status.

    The id and the last visit are read as text: Django's per-row converters (UUID, aware
    datetime) cost ~20 µs a row, two seconds for a region of 100,000 accounts."""
    now = now or timezone.now()
    rows = list(
        map_accounts(actor=actor, filters=filters, now=now)
        .annotate(
            lng=_X(F("location")), lat=_Y(F("location")),
            key=Cast("pk", TextField()), last=Cast("last_visited_at", TextField()),
        )
        .order_by()
        .values_list(
            "key", "name", "lat", "lng", "status", "territory_id", "owner_id",
            "last", "visit_frequency_days", "territory__name",
        )
    )  # fmt: skip
    owner_ids = {r[6] for r in rows if r[6] is not None}
    owners = {
        pk: person_name(first, last, username)
        for pk, first, last, username in User.objects.filter(pk__in=owner_ids).values_list(
            "pk", "first_name", "last_name", "username"
        )
    }
    reps = _territory_reps(None if len(rows) > 1000 else {r[5] for r in rows if r[5]})
    days = _days_since(now)
    counts: Counts = {}
    for row in rows:
        if row[5] is not None:
            per_status = counts.setdefault(row[5], {})
            per_status[row[4]] = per_status.get(row[4], 0) + 1
    points = [
        # Positional, in AccountPoint's field order: ~15 % faster than keywords at 100k.
        AccountPoint(key, name, lat, lng, status, tname,
                     owners.get(oid) if oid is not None else reps.get(tid), days(last), freq)
        for key, name, lat, lng, status, tid, oid, last, freq, tname in rows
    ]  # fmt: skip
    return points, counts


def _territory_counts(actor: User, filters: MapFilters, territory_ids: list[int]) -> Counts:
    counts: Counts = {}
    rows = (
        map_accounts(actor=actor, filters=filters)
        .filter(territory__in=territory_ids)
        .order_by()
        .values_list("territory_id", "status")
        .annotate(n=Count("pk"))
    )
    for territory_id, status, n in rows:
        counts.setdefault(territory_id, {})[status] = n
    return counts


def map_territories(
    *, actor: User, filters: MapFilters, counts: Counts | None = None
) -> list[TerritoryShape]:
    """Territories in view with their reps and per-status counts of the filtered accounts
    (``counts`` when the caller has them already, else one aggregate query)."""
    qs = scoped(Territory, actor).select_related("region").order_by("region__name", "name")
    if filters.region is not None:
        qs = qs.filter(region_id=filters.region)
    if filters.territory is not None:
        qs = qs.filter(pk=filters.territory)
    territories = list(qs)
    if counts is None:
        counts = _territory_counts(actor, filters, [t.pk for t in territories])
    reps = _territory_reps({t.pk for t in territories})
    return [
        TerritoryShape(
            id=str(t.pk), name=t.name, rep=reps.get(t.pk), region=t.region.name,
            geojson=json.loads(t.boundary.geojson), account_counts=counts.get(t.pk, {}),
        )
        for t in territories
    ]  # fmt: skip


def map_regions(*, actor: User, filters: MapFilters) -> list[RegionShape]:
    qs = scoped(Region, actor).filter(boundary__isnull=False).order_by("name")
    if filters.region is not None:
        qs = qs.filter(pk=filters.region)
    return [RegionShape(id=str(r.pk), name=r.name, geojson=json.loads(r.boundary.geojson))
            for r in qs]  # fmt: skip


def map_data(*, actor: User, filters: MapFilters) -> TerritoryMapData:
    """Everything the territory map shows, for the caller and the filters."""
    points, counts = _points_and_counts(actor=actor, filters=filters)
    return TerritoryMapData(
        accounts=points,
        territories=map_territories(actor=actor, filters=filters, counts=counts),
        regions=map_regions(actor=actor, filters=filters),
    )


def map_tags(*, actor: User) -> list[str]:
    """The tags on accounts the caller sees (a tag used only in another region is not listed)."""
    used = scoped(Account, actor).values("tags")
    return list(
        scoped(Tag, actor).filter(pk__in=used).order_by("name").values_list("name", flat=True)
    )


# ------------------------------------------------------------------------------ selection


def selection_accounts(
    *, actor: User, filters: MapFilters, area: GEOSGeometry
) -> QuerySet[Account]:
    """The filtered accounts inside a drawn polygon: the spatial index narrows to the
    polygon's bounding box, then the exact point-in-polygon test."""
    west, south, east, north = area.extent
    qs = map_accounts(actor=actor, filters=filters)
    qs = geo.in_bbox(qs, west=west, south=south, east=east, north=north)
    return qs.filter(location__within=area).order_by("name", "pk")


def selection_summary(*, actor: User, filters: MapFilters, area: GEOSGeometry) -> dict[str, Any]:
    """Count and the first accounts of a selection, as plain data for the panel (2 queries)."""
    qs = selection_accounts(actor=actor, filters=filters, area=area)
    rows = list(
        qs.values_list(
            "pk", "name", "status", "territory__name",
            "owner__first_name", "owner__last_name", "owner__username",
        )[: SELECTION_LIST_LIMIT + 1]
    )  # fmt: skip
    count = len(rows) if len(rows) <= SELECTION_LIST_LIMIT else qs.count()
    accounts = [
        {
            "id": str(pk), "name": name, "status": status, "territory": territory or "",
            "owner": person_name(first or "", last or "", username) if username else "",
        }
        for pk, name, status, territory, first, last, username in rows[:SELECTION_LIST_LIMIT]
    ]  # fmt: skip
    return {"count": count, "accounts": accounts, "truncated": count > len(accounts)}
