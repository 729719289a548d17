"""A small plannable world: North's reps with home bases and every weekday, a handful of
accounts due for a visit, and a date that is always tomorrow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from tests.factories import make_account

LIMIT = 0.5


@pytest.fixture
def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


@pytest.fixture
def plannable(world):
    """rep1 and rep2 start at home in their territories; six accounts are due."""
    for rep, lng in ((world.rep1, 1.05), (world.rep2, 1.15)):
        rep.home_base = Point(lng, 42.05, srid=4326)
        rep.working_days = [0, 1, 2, 3, 4, 5, 6]
        rep.save()
    long_ago = timezone.now() - dt.timedelta(days=60)
    accounts = []
    for i in range(6):
        lng = 1.02 + i * 0.03  # three in A, three in B
        account = make_account(
            f"Shop {i}", lng=lng, lat=42.03 + (i % 3) * 0.02, status="customer",
            visit_frequency_days=14, tier="ABC"[i % 3],
        )  # fmt: skip
        account.last_visited_at = long_ago
        account.save()
        accounts.append(account)
    return accounts


def generate(client, world, day, **extra):
    body = {"region_id": world.north.pk, "date": day.isoformat(), "time_limit_s": LIMIT, **extra}
    return client.post("plans/generate", body)
