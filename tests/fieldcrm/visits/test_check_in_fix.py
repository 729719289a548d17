"""Issue 14, defect 3: a check-in stores its GPS fix's own time next to its accuracy, and a
check-in without a fix records the position as missing (never guessed, never an old fix).

Regression: the phone sent the fix's timestamp as the check-in time and accepted fixes up to
30 s old, so two check-ins 800 m apart stored the same position and the same time.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.fieldcrm.sync.test_sync import op, push

HERE = {"lat": 42.0501, "lng": 1.05}


@pytest.fixture
def shop(world):
    return make_account("Fix Shop", lng=1.05, lat=42.05, status="customer")


def _seconds(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=0)


def test_a_check_in_stores_its_fix_time_apart_from_the_check_in_time(as_user, world, shop):
    arrived = _seconds(timezone.now() - dt.timedelta(minutes=5))
    fixed = arrived + dt.timedelta(seconds=4)  # a fresh fix arrives after the tap
    visit = Visit.objects.create(account=shop, rep=world.rep1)
    response = as_user("rep1").post(
        f"visits/{visit.pk}/check-in",
        {"location": HERE, "accuracy_m": 8, "at": arrived.isoformat(),
         "fix_at": fixed.isoformat()},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert dt.datetime.fromisoformat(body["check_in_fix_at"]) == fixed
    assert dt.datetime.fromisoformat(body["checked_in_at"]) == arrived
    visit.refresh_from_db()
    assert (visit.checked_in_at, visit.check_in_fix_at, visit.check_in_accuracy_m) == (
        arrived,
        fixed,
        8,
    )


def test_a_check_in_without_a_position_records_it_missing_not_guessed(as_user, world, shop):
    arrived = _seconds(timezone.now() - dt.timedelta(minutes=1))
    [result] = push(as_user("rep1"), op("visit", "create", fields={
        "account_id": str(shop.pk), "status": "done", "outcome": "order",
        "check_in": {"location": None, "at": arrived.isoformat()},
        "completed_at": (arrived + dt.timedelta(minutes=10)).isoformat(),
    }))  # fmt: skip
    assert result["status"] == "applied", result
    record = result["record"]
    assert record["checked_in_at"] is not None
    assert [record[k] for k in ("check_in_location", "check_in_accuracy_m", "check_in_fix_at",
                                "distance_m", "is_far")] == [None] * 5  # fmt: skip
    visit = Visit.objects.get(pk=result["id"])
    assert visit.checked_in_at == arrived and visit.check_in_location is None


@pytest.mark.parametrize(
    "check_in",
    [{"location": None, "accuracy_m": 12}, {"location": None, "fix_at": "2026-11-30T10:00:00Z"},
     {"accuracy_m": 12}],
)  # fmt: skip
def test_a_fix_time_or_accuracy_without_its_position_is_refused(as_user, world, shop, check_in):
    response = as_user("rep1").post("visits", {"account_id": str(shop.pk), "check_in": check_in})
    assert response.status_code == 422, response.content
    assert "check_in" in str(response.json()["detail"])
    assert not Visit.all_objects.exists()


@pytest.mark.parametrize(
    ("fix_at", "field"),
    [("not a time", "fix_at"), ("2026-13-01T10:00:00Z", "fix_at"),
     ("9999-12-31T23:59:59-23:59", "fix_at")],
)  # fmt: skip
def test_a_bad_fix_time_is_refused_naming_it_like_the_other_client_times(
    as_user, world, shop, fix_at, field
):
    [result] = push(as_user("rep1"), op("visit", "create", fields={
        "account_id": str(shop.pk), "check_in": {"location": HERE, "fix_at": fix_at},
    }))  # fmt: skip
    assert result["status"] == "rejected", result
    assert any(field in e["field"] for e in result["errors"]), result["errors"]


def test_a_clock_ahead_moves_the_fix_time_with_the_check_in_so_its_age_stays(as_user, world, shop):
    ahead = timezone.now() + dt.timedelta(days=400)
    before = timezone.now()
    [result] = push(as_user("rep1"), op("visit", "create", fields={
        "account_id": str(shop.pk),
        "check_in": {"location": HERE, "accuracy_m": 5, "at": ahead.isoformat(),
                     "fix_at": (ahead - dt.timedelta(seconds=40)).isoformat()},
    }))  # fmt: skip
    assert result["status"] == "applied", result
    visit = Visit.objects.get(pk=result["id"])
    assert visit.clock_skew is True
    assert before <= visit.checked_in_at <= timezone.now()
    assert visit.checked_in_at - visit.check_in_fix_at == dt.timedelta(seconds=40)


def test_a_fix_time_far_ahead_alone_is_not_believed_and_left_unknown(as_user, world, shop):
    [result] = push(as_user("rep1"), op("visit", "create", fields={
        "account_id": str(shop.pk),
        "check_in": {"location": HERE,
                     "fix_at": (timezone.now() + dt.timedelta(days=30)).isoformat()},
    }))  # fmt: skip
    assert result["status"] == "applied", result
    visit = Visit.objects.get(pk=result["id"])
    assert (visit.clock_skew, visit.check_in_fix_at) == (True, None)
    assert visit.check_in_location is not None


def test_a_planned_stop_logged_on_the_phone_keeps_its_fix_time(as_user, world, shop):
    """The edit a phone pushes for a planned stop (issue 14, defect 2) carries the fix too."""
    stop = Visit.objects.create(account=shop, rep=world.rep1, scheduled_on=timezone.localdate())
    arrived = _seconds(timezone.now() - dt.timedelta(minutes=30))
    check_in = {"location": HERE, "accuracy_m": 9, "at": arrived.isoformat(),
                "fix_at": (arrived + dt.timedelta(seconds=3)).isoformat()}  # fmt: skip
    done = (arrived + dt.timedelta(minutes=9)).isoformat()
    [result] = push(as_user("rep1"), op("visit", "update", stop.pk, base_version=stop.version,
        changes={"status": {"old": "planned", "new": "done"},
                 "completed_at": {"old": None, "new": done},
                 "check_in": {"old": None, "new": check_in}}))  # fmt: skip
    assert result["status"] == "applied", result
    stop.refresh_from_db()
    assert stop.status == "done"
    assert stop.check_in_fix_at == arrived + dt.timedelta(seconds=3)
    assert stop.checked_in_at == arrived
