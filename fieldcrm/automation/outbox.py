"""Writing domain events: called by the services that change records, inside their transaction.

The event row commits or rolls back with the change it describes (the outbox pattern): no
signal fires for a change that is later rolled back, and no committed change lacks its event.
The worker reads the rows afterwards (engine.events_process).

A rule's actions change records through the same services, so they write events too; those
carry the depth of the run that caused them plus one (``caused_by``), which is how a chain of
rules triggering rules is bounded.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from fieldcrm.automation.models import Event

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("automation_depth", default=0)


@contextmanager
def caused_by(*, depth: int) -> Iterator[None]:
    """Events written inside the block are ``depth`` rule runs away from a person's change."""
    token = _depth.set(depth)
    try:
        yield
    finally:
        _depth.reset(token)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    return value


def event_build(
    *,
    kind: str,
    record_type: str,
    record_id: object,
    data: dict[str, Any],
    actor: Any = None,
) -> Event:
    """One event, unsaved: for writers that insert a batch at once (``events_write``)."""
    return Event(
        kind=kind, record_type=record_type, record_id=str(record_id),
        data={k: _plain(v) for k, v in data.items()},
        actor=actor if getattr(actor, "pk", None) else None, depth=_depth.get(),
    )  # fmt: skip


def events_write(events: list[Event]) -> None:
    """Insert events in the caller's transaction (which must be open: the change and its
    events commit together), one statement for the batch."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events must be written inside the transaction of the change")
    Event.objects.bulk_create(events)


def event_record(
    *,
    kind: str,
    record_type: str,
    record_id: object,
    data: dict[str, Any],
    actor: Any = None,
) -> Event:
    """Write one event in the caller's transaction."""
    event = event_build(kind=kind, record_type=record_type, record_id=record_id, data=data,
                        actor=actor)  # fmt: skip
    events_write([event])
    return event
