"""Issue 21: a visit records when the rep left; check-in to check-out is the time on site,
stored and validated on the server (never before the check-in, refused at the field), shown on
the account page's visits and timeline and in the visits report.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from fieldcrm.accounts.models import Activity
from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.fieldcrm.sync.test_sync import op, push

HERE = {"lat": 42.0501, "lng": 1.05}


@pytest.fixture
def shop(world):
    return make_account("Checkout Shop", lng=1.05, lat=42.05, status="customer")


def _at(minutes_ago: float) -> dt.datetime:
    return (timezone.now() - dt.timedelta(minutes=minutes_ago)).replace(microsecond=0)


def test_an_open_visit_then_its_check_out_in_one_offline_batch_stores_the_time_on_site(
    as_user, world, shop
):
    rep = as_user("rep1")
    arrived, left = _at(40), _at(17)
    open_visit = op("visit", "create", fields={
        "account_id": str(shop.pk), "check_in": {"location": HERE, "at": arrived.isoformat()},
    })  # fmt: skip
    check_out = op("visit", "update", open_visit["id"], changes={
        "status": {"old": "planned", "new": "done"},
        "checked_out_at": {"old": None, "new": left.isoformat()},
        "completed_at": {"old": None, "new": left.isoformat()},
        "outcome": {"old": "", "new": "order"},
    })  # fmt: skip
    first = push(rep, open_visit, check_out)
    assert [r["status"] for r in first] == ["applied", "applied"], first
    record = first[1]["record"]
    assert record["time_on_site_s"] == 23 * 60
    assert dt.datetime.fromisoformat(record["checked_out_at"]) == left
    # The phone retries the same batch (the answer was lost): nothing doubles.
    again = push(rep, open_visit, check_out)
    assert [r["status"] for r in again] == ["already_applied", "already_applied"]
    visit = Visit.objects.get()
    assert visit.status == "done" and visit.time_on_site == dt.timedelta(minutes=23)
    assert Activity.objects.filter(visit=visit).count() == 1


def test_an_open_visit_has_no_time_on_site_yet(as_user, world, shop):
    [result] = push(as_user("rep1"), op("visit", "create", fields={
        "account_id": str(shop.pk), "check_in": {"location": HERE, "at": _at(5).isoformat()},
    }))  # fmt: skip
    assert result["status"] == "applied"
    assert result["record"]["checked_out_at"] is None
    assert result["record"]["time_on_site_s"] is None
    assert result["record"]["status"] == "planned"


@pytest.mark.parametrize(
    ("check_in_min_ago", "check_out_min_ago", "message"),
    [(10, 20, "before the check-in"), (None, 5, "needs a check-in")],
)
def test_a_check_out_before_the_check_in_or_without_one_is_422_naming_the_field(
    as_user, world, shop, check_in_min_ago, check_out_min_ago, message
):
    rep = as_user("rep1")
    visit = Visit.objects.create(account=shop, rep=world.rep1)
    if check_in_min_ago is not None:
        visit.checked_in_at = _at(check_in_min_ago)
        visit.save()
    response = rep.post(
        f"visits/{visit.pk}/log",
        {"outcome": "order", "checked_out_at": _at(check_out_min_ago).isoformat()},
    )
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail[0]["loc"][-1] == "checked_out_at" and message in detail[0]["msg"], detail
    visit.refresh_from_db()
    assert visit.status == "planned" and visit.checked_out_at is None
    assert not Activity.objects.exists()


def test_a_pushed_check_out_before_the_check_in_is_rejected_alone(as_user, world, shop):
    rep = as_user("rep1")
    bad = op("visit", "create", fields={
        "account_id": str(shop.pk), "status": "done",
        "check_in": {"location": HERE, "at": _at(10).isoformat()},
        "checked_out_at": _at(30).isoformat(), "completed_at": _at(30).isoformat(),
    })  # fmt: skip
    good = op("visit", "create", fields={
        "account_id": str(shop.pk), "status": "done",
        "check_in": {"location": HERE, "at": _at(30).isoformat()},
        "checked_out_at": _at(10).isoformat(), "completed_at": _at(10).isoformat(),
    })  # fmt: skip
    first, second = push(rep, bad, good)
    assert first["status"] == "rejected"
    assert first["errors"][0]["field"] == "checked_out_at", first
    assert second["status"] == "applied" and second["record"]["time_on_site_s"] == 20 * 60
    assert Visit.objects.count() == 1


def test_a_done_visit_s_check_out_stays_as_logged(as_user, world, shop):
    rep = as_user("rep1")
    # One instant, read once: _at() a second later (a slow machine) would be another value.
    left = _at(20)
    visit = Visit.objects.create(
        account=shop, rep=world.rep1, status="done", checked_in_at=_at(30),
        checked_out_at=left, completed_at=left,
    )  # fmt: skip
    response = rep.patch(f"visits/{visit.pk}", {"checked_out_at": _at(1).isoformat()})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "checked_out_at"
    # The same value sent again (a phone's retried edit) is no rewrite.
    same = rep.patch(f"visits/{visit.pk}", {"checked_out_at": left.isoformat()})
    assert same.status_code == 200, same.content


def test_a_check_out_from_a_clock_far_ahead_is_dated_at_receipt_and_flagged(as_user, world, shop):
    rep = as_user("rep1")
    visit = Visit.objects.create(account=shop, rep=world.rep1, checked_in_at=_at(15))
    ahead = timezone.now() + dt.timedelta(days=400)
    response = rep.post(f"visits/{visit.pk}/log", {"checked_out_at": ahead.isoformat()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["clock_skew"] is True
    assert 14 * 60 <= body["time_on_site_s"] <= 16 * 60


def test_the_account_page_and_the_report_show_the_time_on_site(as_user, world, shop):
    Visit.objects.create(
        account=shop, rep=world.rep1, status="done", checked_in_at=_at(50),
        checked_out_at=_at(25), completed_at=_at(25),
    )  # fmt: skip
    Visit.objects.create(  # logged without a check-out: not counted, not guessed
        account=shop, rep=world.rep1, status="done", checked_in_at=_at(20), completed_at=_at(10),
    )  # fmt: skip
    report = as_user("manager").get("reports/visits?period=week").json()
    [row] = [r for r in report["rows"] if r["rep_id"] == world.rep1.pk]
    assert (row["count"], row["timed"], row["time_on_site_s"]) == (2, 1, 25 * 60)
    client = Client()
    client.force_login(world.manager)
    page = client.get(f"/crm/accounts/{shop.pk}/")
    assert page.status_code == 200
    assert "25 min on site" in page.content.decode()
    dashboard = client.get("/manager/")
    assert "25 min on site per visit" in dashboard.content.decode()
