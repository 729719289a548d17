"""Writes of the search index. The signals (signals.py) call these on every save and delete
of an account, contact or deal, whichever service or admin page saved it; ``search_rebuild``
fills the index from scratch (the migration, the ``search_rebuild`` command, benchmarks)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction

from fieldcrm.accounts.models import Account, Contact
from fieldcrm.core.models import write_transaction
from fieldcrm.deals.models import Deal
from fieldcrm.search.models import SearchEntry
from fieldcrm.search.text import fold

Kind = SearchEntry.Kind


def _phone(value: str) -> str:
    """A phone number's digits too, so "0912345678" finds "0912 345 678"."""
    digits = re.sub(r"\D", "", value or "")
    return f"{value} {digits}" if digits and digits != value else value or ""


def _entry(record: Account | Contact | Deal) -> SearchEntry | None:
    """The index row for ``record`` (None when it is soft-deleted: not to be found)."""
    if getattr(record, "deleted_at", None) is not None:
        return None
    if isinstance(record, Account):
        parts = [record.name, record.address, _phone(record.phone), record.email]
        return SearchEntry(
            kind=Kind.ACCOUNT, record_id=str(record.pk), account_id=record.pk,
            title=record.name[:200], detail=record.address[:300], text=fold(" ".join(parts)),
        )  # fmt: skip
    account_name = Account.all_objects.filter(pk=record.account_id).values_list("name", flat=True)
    detail = (account_name.first() or "")[:300]
    if isinstance(record, Contact):
        parts = [record.name, _phone(record.phone), record.email, record.role]
        kind = Kind.CONTACT
    else:
        parts, kind = [record.name], Kind.DEAL
    return SearchEntry(
        kind=kind, record_id=str(record.pk), account_id=record.account_id,
        title=record.name[:200], detail=detail, text=fold(" ".join(p for p in parts if p)),
    )  # fmt: skip


# The index's kind of each searched model (the signals use it too).
KINDS: dict[type, str] = {Account: Kind.ACCOUNT, Contact: Kind.CONTACT, Deal: Kind.DEAL}


def _kind(record: Account | Contact | Deal) -> str:
    return KINDS[type(record)]


# The fields each kind's index row is made of (attribute names): a save that changes none of
# them leaves the row as it is, so logging a visit or editing a tier writes nothing here.
SEARCHED: dict[type, tuple[str, ...]] = {
    Account: ("name", "address", "phone", "email", "deleted_at"),
    Contact: ("name", "phone", "email", "role", "account_id", "deleted_at"),
    Deal: ("name", "account_id", "deleted_at"),
}


def _searched(record: Account | Contact | Deal) -> tuple[Any, ...]:
    return tuple(getattr(record, name, None) for name in SEARCHED[type(record)])


def _as_indexed(record: Account | Contact | Deal) -> tuple[Any, ...] | None:
    """The searched values the index holds for ``record``: as last indexed by this instance,
    else as read from the database (the audit keeps the row as read); None when unknown (a
    row read in part)."""
    indexed: tuple[Any, ...] | None = record.__dict__.get("_search_indexed")
    if indexed is not None:
        return indexed
    names = SEARCHED[type(record)]
    loaded = record.as_loaded(names)
    if loaded is None:
        return None
    if any(name not in loaded for name in names if name != "deleted_at"):
        return None
    return tuple(loaded.get(name) for name in names)


@write_transaction
def search_index(*, record: Account | Contact | Deal, created: bool = False) -> None:
    """Put ``record`` in the index as it is now (or take it out when soft-deleted). An
    account's new name also becomes the detail line of its contacts and deals.

    ``created``: the record is new, so it has no index row yet (one INSERT). Otherwise a save
    that changed no searched field costs nothing, and one that did costs one UPDATE."""
    now = _searched(record)
    before = None if created else _as_indexed(record)
    if before == now:
        return
    record.__dict__["_search_indexed"] = now
    entry = _entry(record)
    if entry is None:
        search_forget(kind=_kind(record), record_id=record.pk)
        return
    values = {"account_id": entry.account_id, "title": entry.title, "detail": entry.detail,
              "text": entry.text}  # fmt: skip
    if created:
        SearchEntry.objects.create(kind=entry.kind, record_id=entry.record_id, **values)
        return
    # The row exists unless the record predates the index (search_rebuild fills those) or was
    # just brought back: then it is made here. Writers of one record are serialised by the
    # record's own row lock, taken by the save that sent this signal.
    key = {"kind": entry.kind, "record_id": entry.record_id}
    if not SearchEntry.objects.filter(**key).update(**values):
        SearchEntry.objects.create(**key, **values)
    renamed = before is None or before[0] != now[0]
    if isinstance(record, Account) and renamed:
        SearchEntry.objects.filter(account_id=record.pk).exclude(kind=Kind.ACCOUNT).exclude(
            detail=entry.title[:300]
        ).update(detail=entry.title[:300])


def search_forget(*, kind: str, record_id: Any) -> None:
    """Take one record out of the index."""
    SearchEntry.objects.filter(kind=kind, record_id=str(record_id)).delete()


def _all_records() -> Iterator[Account | Contact | Deal]:
    yield from Account.objects.order_by("pk").iterator(chunk_size=2000)
    yield from Contact.objects.order_by("pk").iterator(chunk_size=2000)
    yield from Deal.objects.order_by("pk").iterator(chunk_size=2000)


def _chunks(entries: Iterable[SearchEntry | None], size: int) -> Iterator[list[SearchEntry]]:
    chunk: list[SearchEntry] = []
    for entry in entries:
        if entry is not None:
            chunk.append(entry)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@transaction.atomic
def search_rebuild() -> int:
    """Empty the index and fill it again from every live account, contact and deal; returns
    how many rows it holds."""
    SearchEntry.objects.all().delete()
    count = 0
    for chunk in _chunks((_entry(r) for r in _all_records()), 2000):
        SearchEntry.objects.bulk_create(chunk)
        count += len(chunk)
    return count
