"""Exports of accounts as CSV, XLSX and GeoJSON, with the list's filters and scope.

The CSV and XLSX columns are the importer's (``imports.COLUMNS`` plus ``cf:<key>``), written
by ``spreadsheets`` (the module the importer reads with), so an export imported again changes
nothing. CSV and GeoJSON stream row by row; XLSX is built in memory (openpyxl's write-only
mode), which is fine up to ``MAX_ROWS``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.accounts import selectors
from fieldcrm.accounts.imports import CF_PREFIX, COLUMNS, TAG_SEPARATOR
from fieldcrm.accounts.models import Account, CustomFieldDefinition
from fieldcrm.accounts.schemas import AccountFilters
from fieldcrm.accounts.spreadsheets import csv_stream, xlsx_bytes
from fieldcrm.core.errors import DomainError
from fieldcrm.users.models import User

MAX_ROWS = 100_000
CHUNK = 2_000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}


@dataclass
class Export:
    content: Iterator[bytes] | bytes
    content_type: str
    filename: str


def _queryset(
    actor: User, filters: AccountFilters, among: QuerySet[Account] | None
) -> QuerySet[Account]:
    qs = selectors.account_list(actor=actor, filters=filters, among=among)
    qs = qs.select_related("owner")
    count = qs.order_by().count()
    if count > MAX_ROWS:
        raise DomainError(
            "query.filters",
            _("%(count)s accounts match; an export holds at most %(max)s: narrow the filters.")
            % {"count": count, "max": f"{MAX_ROWS:,}"},
        )
    return qs


def _values(account: Account, cf_keys: list[str]) -> list[Any]:
    """One row in column order, as native values (None for an empty cell)."""
    location = account.location
    by_column = {
        "id": str(account.pk),
        "lat": None if location is None else location.y,
        "lng": None if location is None else location.x,
        "tags": TAG_SEPARATOR.join(sorted(t.name for t in account.tags.all())),
        "owner": account.owner.username if account.owner else None,
    }
    row = [by_column[c] if c in by_column else getattr(account, c) for c in COLUMNS]
    return row + [account.custom_fields.get(key) for key in cf_keys]


def _cf_keys() -> list[str]:
    return list(CustomFieldDefinition.objects.order_by("key").values_list("key", flat=True))


def _header(cf_keys: list[str]) -> list[str]:
    return [*COLUMNS, *(CF_PREFIX + k for k in cf_keys)]


def _rows(qs: QuerySet[Account], cf_keys: list[str]) -> Iterator[list[Any]]:
    return (_values(account, cf_keys) for account in qs.iterator(chunk_size=CHUNK))


def _csv(qs: QuerySet[Account], cf_keys: list[str]) -> Iterator[bytes]:
    return csv_stream(_header(cf_keys), _rows(qs, cf_keys))


def _xlsx(qs: QuerySet[Account], cf_keys: list[str]) -> bytes:
    return xlsx_bytes(_("Accounts"), _header(cf_keys), _rows(qs, cf_keys))


def _feature(account: Account) -> dict[str, Any]:
    location = account.location
    return {
        "type": "Feature",
        "id": str(account.pk),
        "geometry": None
        if location is None
        else {"type": "Point", "coordinates": [location.x, location.y]},
        "properties": {
            "name": account.name,
            "status": account.status,
            "external_id": account.external_id,
            "address": account.address,
            "phone": account.phone,
            "email": account.email,
            "website": account.website,
            "tier": account.tier,
            "priority": account.priority,
            "visit_frequency_days": account.visit_frequency_days,
            "tags": sorted(t.name for t in account.tags.all()),
            "owner": account.owner.username if account.owner else None,
            "territory_id": account.territory_id,
            "source": account.source,
            "custom_fields": account.custom_fields,
            "updated_at": account.updated_at.isoformat(),
        },
    }


def _geojson(qs: QuerySet[Account]) -> Iterator[bytes]:
    yield b'{"type": "FeatureCollection", "features": ['
    for i, account in enumerate(qs.iterator(chunk_size=CHUNK)):
        yield (b"," if i else b"") + json.dumps(_feature(account)).encode()
    yield b"]}"


def account_export(
    *, actor: User, filters: AccountFilters, fmt: str, among: QuerySet[Account] | None = None
) -> Export:
    """The caller's accounts matching ``filters`` (and among ``among``: a segment's) as a file
    in ``fmt`` (csv, xlsx, geojson)."""
    qs = _queryset(actor, filters, among)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        content: Iterator[bytes] | bytes = _csv(qs, _cf_keys())
    elif fmt == "xlsx":
        content = _xlsx(qs, _cf_keys())
    elif fmt == "geojson":
        content = _geojson(qs)
    else:
        raise ValueError(fmt)
    return Export(content, FORMATS[fmt], f"accounts-{stamp}.{fmt}")
