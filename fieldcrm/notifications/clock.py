"""The scheduler's clock: one place, so tests move time instead of waiting.

Everything that decides whether a reminder is due or a delivery may go asks ``now()``.
Tests (and a support session replaying a day) use ``frozen(at)``; real processes leave it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_fixed: list[dt.datetime] = []


def now() -> dt.datetime:
    return _fixed[-1] if _fixed else timezone.now()


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Inside the block ``now()`` answers ``at`` (aware)."""
    if timezone.is_naive(at):
        raise ValueError("frozen() needs an aware datetime")
    _fixed.append(at)
    try:
        yield
    finally:
        _fixed.pop()
