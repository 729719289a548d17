"""Issue 21: the rep builds today's route on the phone. POST plans/my-day/order appends the
picked accounts to the rep's published plan of today, or makes the rep's own plan of the day,
ordered by the server's planner from the rep's position; the planner's page labels it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from fieldcrm.plans.models import RoutePlan, RouteSheet
from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.fieldcrm.plans import conftest as plans
from tests.fieldcrm.plans.test_route_sheet import _publish
from tests.fieldcrm.sync.test_sync import op, pull_all, push

plannable, tomorrow = plans.plannable, plans.tomorrow  # fixtures: a small plannable day


def _order(client, accounts, **extra):
    return client.post(
        "plans/my-day/order", {"account_ids": [str(a.pk) for a in accounts], **extra}
    )


def _planner_page(world, day) -> str:
    client = Client()
    client.force_login(world.planner)
    return client.get(f"/planner/?region={world.north.pk}&date={day}").content.decode()


def test_a_rep_without_a_plan_gets_their_own_day_ordered_from_where_they_are(
    as_user, world, plannable
):
    rep = as_user("rep1")
    mine = plannable[:3]  # territory A: rep1's
    # From the far end of the three: the nearest one comes first.
    response = _order(rep, mine, position={"lat": 42.07, "lng": 1.08})
    assert response.status_code == 200, response.content
    body = response.json()
    plan = RoutePlan.objects.get(pk=body["id"])
    assert plan.rep == world.rep1 and plan.status == "published"
    assert plan.date == timezone.localdate()
    assert plan.stats["own"]["rep_id"] == world.rep1.pk
    stops = list(plan.stops.select_related("visit").order_by("sequence"))
    assert {s.account_id for s in stops} == {a.pk for a in mine}
    assert stops[0].account_id == plannable[2].pk  # (42.07, 1.08): Shop 2 is at it
    arrivals = [s.arrival_at for s in stops]
    assert arrivals == sorted(arrivals)
    for n, stop in enumerate(stops, start=1):
        assert stop.visit.status == "planned" and stop.visit.rep == world.rep1
        assert stop.visit.route_sequence == n and stop.visit.scheduled_on == plan.date
    # The phone gets the day as it gets any published route: visits and a sheet.
    changes, _cursor = pull_all(rep)
    [sheet] = changes["changes"]["routes"]
    assert [o["visit_id"] for o in sheet["order"]] == [str(s.visit_id) for s in stops]
    # The planner's page shows it as the rep's own, each stop marked as added by the rep.
    text = _planner_page(world, plan.date)
    assert "own route, built on the phone" in text
    assert text.count("data-rep-added") == 3


def test_adding_to_a_published_plan_appends_and_keeps_done_stops_in_place(
    as_user, world, plannable
):
    plan = _publish(as_user, world, timezone.localdate(), world.rep1)
    stops = list(plan.stops.select_related("visit").order_by("sequence"))
    first = stops[0].visit
    first.status, first.completed_at = "done", timezone.now()
    first.save()
    extra = make_account("Corner shop", lng=1.06, lat=42.06, status="customer")
    rep = as_user("rep1")
    response = _order(rep, [extra])
    assert response.status_code == 200, response.content
    plan.refresh_from_db()
    assert plan.pk == response.json()["id"]
    assert "own" not in plan.stats and plan.stats["edited_by_rep"]["rep_id"] == world.rep1.pk
    after = list(plan.stops.select_related("visit").order_by("sequence"))
    assert after[0].visit_id == first.pk  # done: first, as it was
    assert len(after) == len(stops) + 1
    assert {s.account_id for s in after} == {s.account_id for s in stops} | {extra.pk}
    assert [s.visit.route_sequence for s in after[1:]] == list(range(2, len(after) + 1))
    sheet = RouteSheet.objects.get(plan=plan)
    assert len(sheet.order) == len(after)
    assert "Re-planned by the rep" in _planner_page(world, plan.date)
    # Added again: nothing doubles.
    assert _order(rep, [extra]).status_code == 200
    assert plan.stops.count() == len(after)
    assert Visit.objects.filter(account=extra, rep=world.rep1, status="planned").count() == 1


def test_the_visit_the_phone_added_to_today_becomes_the_stop(as_user, world, plannable):
    rep = as_user("rep1")
    shop = plannable[0]
    added = str(uuid.uuid4())
    fields = {"account_id": str(shop.pk), "scheduled_on": str(timezone.localdate())}
    [result] = push(rep, op("visit", "create", added, fields=fields))
    assert result["status"] == "applied", result
    assert _order(rep, [shop]).status_code == 200
    [stop] = RoutePlan.objects.get(rep=world.rep1, status="published").stops.all()
    assert str(stop.visit_id) == added
    assert Visit.objects.filter(account=shop, rep=world.rep1).count() == 1


def test_an_account_outside_the_reps_scope_is_the_same_404_and_nothing_is_written(
    as_user, world, plannable
):
    rep = as_user("rep1")
    theirs = plannable[4]  # territory B: rep2's
    response = _order(rep, [plannable[0], theirs])
    assert response.status_code == 404
    missing = _order(rep, [plannable[0]], account_ids=[str(plannable[0].pk), str(uuid.uuid4())])
    assert missing.status_code == 404
    assert response.json()["detail"] == missing.json()["detail"]
    assert not RoutePlan.objects.filter(rep=world.rep1).exists()
    assert not Visit.objects.filter(rep=world.rep1).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"account_ids": []}, "account_ids"),
        ({"account_ids": ["not-a-uuid"]}, "account_ids"),
        ({"account_ids": [str(uuid.uuid4())] * 61}, "account_ids"),
        ({"account_ids": "abc"}, "account_ids"),
        ({"position": {"lat": 91, "lng": 0}}, "position"),
        ({"position": {"lat": "x", "lng": 0}}, "position"),
    ],
)
def test_bad_input_is_422_naming_the_field(as_user, world, plannable, body, field):
    payload = {"account_ids": [str(plannable[0].pk)], **body}
    response = as_user("rep1").post("plans/my-day/order", payload)
    assert response.status_code == 422, response.content
    locs = [e["loc"] for e in response.json()["detail"]]
    assert any(field in loc for loc in locs), locs
    assert not RoutePlan.objects.filter(rep=world.rep1).exists()


def test_an_account_without_a_location_is_refused_naming_account_ids(as_user, world, plannable):
    nowhere = make_account("Nowhere", lng=1.05, lat=42.05, status="customer")
    nowhere.location = None
    nowhere.save()
    response = _order(as_user("rep1"), [plannable[0], nowhere])
    if response.status_code == 404:  # out of every territory without a point: not the rep's
        pytest.skip("an account without a location is in no territory here")
    assert response.status_code == 422, response.content
    assert [e["loc"][-1] for e in response.json()["detail"]] == ["account_ids"]
    assert not RoutePlan.objects.filter(rep=world.rep1).exists()


def test_only_a_rep_builds_their_own_day(as_user, world, plannable):
    for persona in ("planner", "manager", "admin"):
        assert _order(as_user(persona), plannable[:1]).status_code == 403, persona


def _phone_day(rep, accounts, day, *, sheet_id=None):
    """What the phone pushes after "Add to today" offline: a planned visit per account, then
    the day in the order its re-sequencer chose (a route create under the phone's id)."""
    visits = [str(uuid.uuid4()) for _ in accounts]
    creates = [
        op("visit", "create", v, fields={"account_id": str(a.pk), "scheduled_on": str(day)})
        for v, a in zip(visits, accounts, strict=True)
    ]
    start = timezone.now().replace(microsecond=0)
    order = [
        {"visit_id": v, "arrival_at": (start + dt.timedelta(minutes=30 * n)).isoformat()}
        for n, v in enumerate(reversed(visits[1:]), start=1)
    ]
    dropped = [{"visit_id": visits[0], "reason": "closed"}]
    sheet = sheet_id or str(uuid.uuid4())
    route = op("route", "create", sheet, fields={"date": str(day), "order": order,
                                                   "dropped": dropped})  # fmt: skip
    return [*creates, route], list(reversed(visits[1:])) + [visits[0]], sheet


def test_a_day_ordered_on_the_phone_offline_becomes_the_reps_own_plan_once(
    as_user, world, plannable
):
    rep = as_user("rep1")
    day = timezone.localdate()
    ops, expected, sheet_id = _phone_day(rep, plannable[:3], day)
    results = push(rep, *ops)
    assert [r["status"] for r in results] == ["applied"] * 4, results
    plan = RoutePlan.objects.get(rep=world.rep1, date=day, status="published")
    assert plan.stats["own"]["on_phone"] is True
    assert [str(s.visit_id) for s in plan.stops.order_by("sequence")] == expected
    sheet = RouteSheet.objects.get(pk=sheet_id)
    assert sheet.plan == plan and sheet.dropped[0]["reason"] == "closed"
    # The same push again (a lost answer): nothing doubles.
    again = push(rep, *ops)
    assert {r["status"] for r in again} == {"already_applied"}, again
    assert RoutePlan.objects.filter(rep=world.rep1, date=day).count() == 1
    assert Visit.objects.filter(rep=world.rep1).count() == 3
    assert "own route, built on the phone" in _planner_page(world, day)


def test_the_phones_day_is_refused_naming_the_field(as_user, world, plannable):
    rep = as_user("rep1")
    day = timezone.localdate()
    # Visits that are not the rep's planned visits of the day.
    route = op("route", "create", str(uuid.uuid4()), fields={"date": str(day), "order": [
        {"visit_id": str(uuid.uuid4()), "arrival_at": timezone.now().isoformat()}]})  # fmt: skip
    [refused] = push(rep, route)
    assert refused["status"] == "rejected" and refused["errors"][0]["field"] == "order"
    # Another day.
    ops, _expected, _sheet = _phone_day(rep, plannable[:2], day + dt.timedelta(days=1))
    *_visits, other_day = push(rep, *ops)
    assert other_day["status"] == "rejected" and other_day["errors"][0]["field"] == "date"
    # A published route already there: the stops stay planned visits, the day is refused.
    _publish(as_user, world, day, world.rep1)
    ops, _expected, _sheet = _phone_day(rep, plannable[:2], day)
    *visits, published = push(rep, *ops)
    assert [v["status"] for v in visits] == ["applied", "applied"]
    assert published["status"] == "rejected" and published["errors"][0]["field"] == "date"
    assert RoutePlan.objects.filter(rep=world.rep1, date=day, status="published").count() == 1
    # With no order it is what it always was: sheets come from publishing.
    [bare] = push(rep, op("route", "create", str(uuid.uuid4()), fields={}))
    assert bare["status"] == "rejected" and bare["errors"][0]["field"] == "id"
