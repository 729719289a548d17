"""Reads from a PostgreSQL streaming replica, for the sync's read-only calls (issue 22).

Only code inside ``replica_snapshot()`` reads from the replica; everything else, and every
write anywhere, goes to the primary. Inside it, every query runs in ONE read-only REPEATABLE
READ transaction on the replica, so the change counter and the rows read after it come from
the same snapshot: the replica applies the primary's commits in commit order, so a snapshot
that shows counter N shows every row numbered up to N and none above it that is not also
excluded by the ``change_seq <= N`` window.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

REPLICA = "replica"

# The alias reads go to inside ``replica_snapshot``; None: the primary, as everywhere else.
_reading_from: ContextVar[str | None] = ContextVar("fieldcrm_read_alias", default=None)


def read_alias() -> str:
    """Where reads go right now."""
    return _reading_from.get() or DEFAULT_DB_ALIAS


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def replica_snapshot() -> Iterator[str]:
    """Route this block's reads to the replica, in one read-only REPEATABLE READ snapshot.

    Yields the alias. A write inside is refused by the replica itself (read-only)."""
    token = _reading_from.set(REPLICA)
    try:
        with transaction.atomic(using=REPLICA):
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield REPLICA
    finally:
        _reading_from.reset(token)


class ReplicaRouter:
    """Reads go where ``replica_snapshot`` says (the primary outside it); writes and
    migrations always to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return _reading_from.get()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the primary's rows: one database, two doors

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
