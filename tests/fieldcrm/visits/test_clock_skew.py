"""A phone clock far ahead never pushes an account's dates into the future.

Regression: a visit logged with a clock 10 years ahead set the account's last visit (and so its
next due date) to 2036: the account was never due again, and a correct visit logged afterwards
did not repair it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fieldcrm.accounts.models import Account
from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.fieldcrm.sync.test_sync import op, push


@pytest.fixture
def shop(world):
    return make_account("Shop", lng=1.05, lat=42.05, status="customer", visit_frequency_days=14)


def _logged(shop, when):
    return op("visit", "create", fields={
        "account_id": str(shop.pk), "status": "done", "outcome": "order",
        "check_in": {"location": {"lat": 42.05, "lng": 1.05}, "at": when.isoformat()},
        "completed_at": (when + dt.timedelta(minutes=15)).isoformat(),
    })  # fmt: skip


def test_a_visit_from_a_clock_years_ahead_is_dated_at_receipt_and_flagged(as_user, world, shop):
    before = timezone.now()
    result = push(as_user("rep1"), _logged(shop, before + dt.timedelta(days=3650)))[0]
    assert result["status"] == "applied"
    assert result["record"]["clock_skew"] is True
    visit = Visit.objects.get(pk=result["id"])
    after = timezone.now()
    assert before <= visit.checked_in_at <= after and before <= visit.completed_at <= after
    shop.refresh_from_db()
    assert shop.last_visited_at <= after
    assert shop.visit_due_at <= after + dt.timedelta(days=14)


def test_a_backdated_visit_keeps_its_time(as_user, world, shop):
    yesterday = timezone.now() - dt.timedelta(days=1)
    result = push(as_user("rep1"), _logged(shop, yesterday))[0]
    visit = Visit.objects.get(pk=result["id"])
    assert visit.clock_skew is False
    assert abs(visit.checked_in_at - yesterday) < dt.timedelta(seconds=1)


def test_a_correct_visit_repairs_a_last_visit_in_the_future(as_user, world, shop):
    Account.objects.filter(pk=shop.pk).update(
        last_visited_at=timezone.now() + dt.timedelta(days=3650)
    )
    push(as_user("rep1"), _logged(shop, timezone.now() - dt.timedelta(minutes=30)))
    shop.refresh_from_db()
    assert shop.last_visited_at <= timezone.now()


def test_a_day_logged_offline_with_a_skewed_clock_is_flagged_in_a_batch(as_user, world, shop):
    ahead = timezone.now() + dt.timedelta(days=400)
    results = push(
        as_user("rep1"), *[_logged(shop, ahead + dt.timedelta(hours=i)) for i in range(3)]
    )
    assert [r["status"] for r in results] == ["applied"] * 3
    assert all(r["record"]["clock_skew"] for r in results)
    shop.refresh_from_db()
    assert shop.last_visited_at <= timezone.now()
