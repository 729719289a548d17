"""Issue 19: a published plan reaches the phone as a route sheet (what the re-sequencer needs
offline), and the rep's re-plan of the rest of today syncs back as their own edit: only their
own route, today's, stops not yet done; the planner's page then shows the rep's order."""

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
from tests.fieldcrm.sync.test_sync import op, pull_all, push

plannable, tomorrow = plans.plannable, plans.tomorrow  # fixtures: a small plannable day


def _publish(as_user, world, day, rep):
    planner = as_user("planner")
    plans.generate(planner, world, day)
    plan = RoutePlan.objects.get(rep=rep, date=day, status="draft")
    assert planner.post(f"plans/{plan.pk}/publish").status_code == 200, plan
    return plan


@pytest.fixture
def today_plan(as_user, world, plannable):
    # The plan is for today: late in the day the region's "today" may be tomorrow elsewhere,
    # so the day is the server's own local date, as the service reads it.
    return _publish(as_user, world, timezone.localdate(), world.rep1)


def _sheet(client):
    changes, _cursor = pull_all(client)
    routes = changes["changes"].get("routes", [])
    assert len(routes) == 1, routes
    return routes[0]


def _reorder(sheet, order, dropped=(), base_version=None):
    """What the phone pushes when the rep accepts a re-plan."""
    new_order = [{"visit_id": v, "arrival_at": at} for v, at in order]
    new_dropped = [{"visit_id": v, "reason": r} for v, r in dropped]
    return op(
        "route", "update", sheet["id"], base_version=base_version or sheet["version"],
        changes={"order": {"old": sheet["order"], "new": new_order},
                 "dropped": {"old": sheet["dropped"], "new": new_dropped}},
    )  # fmt: skip


def _later(at: str, minutes: int) -> str:
    return (dt.datetime.fromisoformat(at) + dt.timedelta(minutes=minutes)).isoformat()


def test_publish_sends_the_rep_a_sheet_with_windows_the_break_and_the_plans_drive_times(
    as_user, world, today_plan
):
    sheet = _sheet(as_user("rep1"))
    day = sheet["day"]
    stops = list(today_plan.stops.order_by("sequence"))
    assert [s["visit_id"] for s in day["stops"]] == [str(s.visit_id) for s in stops]
    assert [o["visit_id"] for o in sheet["order"]] == [str(s.visit_id) for s in stops]
    for s, row in zip(stops, day["stops"], strict=True):
        assert row["service_s"] == (s.departure_at - s.start_at).total_seconds()
    # The matrix: home and every stop, square, from the plan's provider.
    ids = day["matrix"]["ids"]
    assert ids[0] == "home" and set(ids[1:]) == {str(s.visit_id) for s in stops}
    assert all(len(row) == len(ids) for row in day["matrix"]["duration_s"])
    assert day["shift_end_s"] == world.rep1.shift_end.hour * 3600 + world.rep1.shift_end.minute * 60
    assert sheet["edited_by_rep_at"] is None
    # Another rep's phone never gets it.
    assert "routes" not in pull_all(as_user("rep2"))[0]["changes"]


def test_the_reps_reorder_moves_the_plans_stops_and_visits_and_marks_the_plan(
    as_user, world, today_plan
):
    rep = as_user("rep1")
    sheet = _sheet(rep)
    order = [(o["visit_id"], o["arrival_at"]) for o in sheet["order"]]
    assert len(order) >= 3
    new = [order[1], order[0], *order[3:]]
    new = [(v, _later(at, 40)) for v, at in new]
    [result] = push(rep, _reorder(sheet, new, dropped=[(order[2][0], "closed")]))
    assert result["status"] == "applied", result
    plan = RoutePlan.objects.get(pk=today_plan.pk)
    assert plan.stats["edited_by_rep"]["rep_id"] == world.rep1.pk
    seq = [str(s.visit_id) for s in plan.stops.order_by("sequence")]
    assert seq == [v for v, _ in new] + [order[2][0]]
    first = Visit.objects.get(pk=new[0][0])
    assert first.route_sequence == 1
    assert first.planned_arrival_at == dt.datetime.fromisoformat(new[0][1])
    left_out = Visit.objects.get(pk=order[2][0])
    assert left_out.status == "planned" and left_out.planned_arrival_at is None
    assert left_out.route_sequence == len(seq)
    again = _sheet(rep)
    assert again["version"] == sheet["version"] + 1
    assert again["dropped"] == [{"visit_id": order[2][0], "reason": "closed"}]
    # The planner's page shows the rep's order, marked as theirs.
    client = Client()
    client.force_login(world.planner)
    text = client.get(f"/planner/?region={world.north.pk}&date={plan.date}").content.decode()
    assert "Re-planned by the rep" in text
    names = [s.account.name for s in plan.stops.order_by("sequence")]
    positions = [text.index(f"<td>{name}</td>") for name in names]
    assert positions == sorted(positions)


def test_another_reps_route_is_refused_naming_the_field(as_user, world, today_plan):
    sheet = _sheet(as_user("rep1"))
    order = [(o["visit_id"], o["arrival_at"]) for o in sheet["order"]][::-1]
    [result] = push(as_user("rep2"), _reorder(sheet, order))
    assert result["status"] == "rejected"
    assert [e["field"] for e in result["errors"]] == ["id"]
    before = [str(s.visit_id) for s in today_plan.stops.order_by("sequence")]
    assert [o["visit_id"] for o in sheet["order"]] == before  # nothing moved


def test_a_stale_reorder_is_a_conflict_and_keeps_the_servers_order(as_user, world, today_plan):
    rep = as_user("rep1")
    sheet = _sheet(rep)
    order = [(o["visit_id"], o["arrival_at"]) for o in sheet["order"]]
    [first] = push(rep, _reorder(sheet, [order[1], order[0], *order[2:]]))
    assert first["status"] == "applied"
    # A second phone (or tab) still on version 1 sends another order.
    [stale] = push(rep, _reorder(sheet, order[::-1]))
    assert stale["status"] == "conflict"
    assert {c["field"] for c in stale["conflicts"]} == {"order"}
    seq = [
        str(s.visit_id) for s in RoutePlan.objects.get(pk=today_plan.pk).stops.order_by("sequence")
    ]
    assert seq == [order[1][0], order[0][0], *(v for v, _ in order[2:])]


def test_a_done_stop_cannot_move_and_every_open_stop_must_be_listed(as_user, world, today_plan):
    rep = as_user("rep1")
    sheet = _sheet(rep)
    order = [(o["visit_id"], o["arrival_at"]) for o in sheet["order"]]
    done = Visit.objects.get(pk=order[0][0])
    done.status, done.completed_at = "done", timezone.now()
    done.save()
    [moved_done] = push(rep, _reorder(sheet, order[::-1]))
    assert moved_done["status"] == "rejected"
    assert [e["field"] for e in moved_done["errors"]] == ["order"]
    [missing] = push(rep, _reorder(sheet, order[2:]))
    assert missing["status"] == "rejected"
    assert [e["field"] for e in missing["errors"]] == ["order"]
    [ok] = push(rep, _reorder(sheet, order[1:][::-1]))
    assert ok["status"] == "applied", ok
    seq = [
        str(s.visit_id) for s in RoutePlan.objects.get(pk=today_plan.pk).stops.order_by("sequence")
    ]
    assert seq[0] == order[0][0]  # the done stop keeps its place, first


def test_only_todays_route_can_be_replanned(as_user, world, plannable, tomorrow):
    _publish(as_user, world, tomorrow, world.rep1)
    rep = as_user("rep1")
    changes, _ = pull_all(rep)
    [sheet] = changes["changes"]["routes"]
    order = [(o["visit_id"], o["arrival_at"]) for o in sheet["order"]][::-1]
    [result] = push(rep, _reorder(sheet, order))
    assert result["status"] == "rejected"
    assert [e["field"] for e in result["errors"]] == ["date"]


def test_unpublishing_leaves_a_tombstone_the_phone_pulls(as_user, world, today_plan):
    rep = as_user("rep1")
    sheet = _sheet(rep)
    _changes, cursor = pull_all(rep)
    assert as_user("planner").post(f"plans/{today_plan.pk}/unpublish").status_code == 200
    changes, _ = pull_all(rep, cursor=cursor)
    assert changes["deleted"]["routes"] == [sheet["id"]]
    assert RouteSheet.all_objects.get(pk=sheet["id"]).deleted_at is not None


def test_a_visit_the_rep_adds_today_joins_the_route_with_the_reorder(as_user, world, today_plan):
    rep = as_user("rep1")
    sheet = _sheet(rep)
    order = [(o["visit_id"], o["arrival_at"]) for o in sheet["order"]]
    shop = make_account("Added shop", lng=1.06, lat=42.06, status="customer")
    added = str(uuid.uuid4())
    fields = {"account_id": str(shop.pk), "scheduled_on": str(today_plan.date)}
    create = op("visit", "create", added, fields=fields)
    at = _later(order[0][1], 5)
    results = push(rep, create, _reorder(sheet, [(added, at), *order]))
    assert [r["status"] for r in results] == ["applied", "applied"], results
    stops = list(RoutePlan.objects.get(pk=today_plan.pk).stops.order_by("sequence"))
    assert str(stops[0].visit_id) == added and stops[0].account_id == shop.pk
    assert Visit.objects.get(pk=added).route_sequence == 1
    # Another rep's visit cannot be slipped in.
    other = Visit.objects.create(account=shop, rep=world.rep2, scheduled_on=today_plan.date)
    again = _sheet(rep)
    current = [(o["visit_id"], o["arrival_at"]) for o in again["order"]]
    [refused] = push(rep, _reorder(again, [(str(other.pk), at), *current]))
    assert refused["status"] == "rejected"
    assert [e["field"] for e in refused["errors"]] == ["order"]
