"""The possible duplicates of a whole file's rows, read once (the importer's duplicate check).

``account_duplicates`` answers one account with up to three queries; a 10,000-row import asked
it 10,000 times, and its 100 m box query grew with every account the file had already added
(half the import's time). The index reads the same candidates once: every account in the
importer's scope with one of the file's e-mail or phone keys, and every account near one of
the file's locations (0.01° load cells, each grown by the 100 m rule so a box at a cell's edge
is covered), kept in 0.001° cells. Rows saved by the import are added as they are saved, so a
later row finds an earlier one, as before. The rule is matching.py's, unchanged; the answer is
``account_duplicates``'s (tests/fieldcrm/accounts/test_duplicate_index.py compares them),
except that no candidate list is cut short.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Polygon
from django.db.models import Q

from fieldcrm.access import scoped
from fieldcrm.accounts import matching
from fieldcrm.accounts.models import Account
from fieldcrm.users.models import User

LOAD_CELL = 0.01  # degrees: the boxes read from the database
CELL = 0.001  # degrees: the buckets searched per row (~111 m of latitude)
_CHUNK = 500


@dataclass(frozen=True)
class _Entry:
    account: Account
    email_key: str
    phone_key: str
    name_key: str
    where: tuple[float, float] | None


def _cell(lng: float, lat: float, size: float = CELL) -> tuple[int, int]:
    return (math.floor(lng / size), math.floor(lat / size))


class DuplicateIndex:
    """``account_duplicates(actor=…)`` for many rows: build it with every e-mail, phone and
    location the rows may carry, ask ``duplicates`` per row, tell it ``saved`` accounts."""

    def __init__(
        self,
        *,
        actor: User,
        emails: Iterable[str] = (),
        phones: Iterable[str] = (),
        locations: Iterable[tuple[float, float]] = (),
    ) -> None:
        self._entries: dict[Any, _Entry] = {}
        self._by_email: dict[str, set[Any]] = defaultdict(set)
        self._by_phone: dict[str, set[Any]] = defaultdict(set)
        self._cells: dict[tuple[int, int], set[Any]] = defaultdict(set)
        base = scoped(Account, actor).only("id", "name", "location", "email", "phone")
        email_keys = sorted({k for e in emails if (k := matching.email_key(e))})
        phone_keys = sorted({k for p in phones if (k := matching.phone_key(p))})
        for chunk in _chunks(email_keys):
            self._load(base.filter(email_key__in=chunk))
        for chunk in _chunks(phone_keys):
            self._load(base.filter(phone_key__in=chunk))
        load_cells = sorted({_cell(lng, lat, LOAD_CELL) for lng, lat in locations})
        for chunk in _chunks(load_cells, 50):
            query = Q()
            for i, j in chunk:
                lng, lat = i * LOAD_CELL, j * LOAD_CELL
                low = matching.box_around(lng, lat)
                high = matching.box_around(lng + LOAD_CELL, lat + LOAD_CELL)
                box = Polygon.from_bbox((low[0], low[1], high[2], high[3]))
                box.srid = 4326
                query |= Q(location__intersects=box)
            self._load(base.filter(query))

    def _load(self, accounts: Iterable[Account]) -> None:
        for account in accounts:
            if account.pk not in self._entries:
                self.saved(account)

    def saved(self, account: Account) -> None:
        """Index ``account`` as it is now (a row just created or updated it)."""
        self._forget(account.pk)
        where = (account.location.x, account.location.y) if account.location else None
        entry = _Entry(
            account=account,
            email_key=matching.email_key(account.email or ""),
            phone_key=matching.phone_key(account.phone or ""),
            name_key=matching.name_key(account.name or ""),
            where=where,
        )
        self._entries[account.pk] = entry
        if entry.email_key:
            self._by_email[entry.email_key].add(account.pk)
        if entry.phone_key:
            self._by_phone[entry.phone_key].add(account.pk)
        if where is not None:
            self._cells[_cell(*where)].add(account.pk)

    def _forget(self, pk: Any) -> None:
        old = self._entries.pop(pk, None)
        if old is None:
            return
        self._by_email.get(old.email_key, set()).discard(pk)
        self._by_phone.get(old.phone_key, set()).discard(pk)
        if old.where is not None:
            self._cells.get(_cell(*old.where), set()).discard(pk)

    def duplicates(
        self,
        *,
        name: str = "",
        email: str = "",
        phone: str = "",
        location: tuple[float, float] | None = None,
        limit: int = 10,
    ) -> list[tuple[Account, list[str]]]:
        """What ``account_duplicates`` answers for these values, ranked the same way."""
        found: dict[Any, list[str]] = {}
        if key := matching.email_key(email):
            for pk in self._by_email.get(key, ()):
                found.setdefault(pk, []).append("email")
        if key := matching.phone_key(phone):
            for pk in self._by_phone.get(key, ()):
                found.setdefault(pk, []).append("phone")
        if name and location is not None:
            lng, lat = location
            wanted = matching.name_key(name)
            west, south, east, north = matching.box_around(lng, lat)
            (i0, j0), (i1, j1) = _cell(west, south), _cell(east, north)
            for i in range(i0, i1 + 1):
                for j in range(j0, j1 + 1):
                    for pk in self._cells.get((i, j), ()):
                        entry = self._entries[pk]
                        assert entry.where is not None
                        near = matching.metres_between(lng, lat, *entry.where)
                        if near <= matching.NEAR_M and matching.name_keys_similar(
                            wanted, entry.name_key
                        ):
                            found.setdefault(pk, []).append("name")
        hits = [(self._entries[pk].account, why) for pk, why in found.items()]
        hits.sort(key=lambda hit: (-len(hit[1]), hit[0].name, str(hit[0].pk)))
        return hits[:limit]


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
