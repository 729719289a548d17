"""Move, pin, re-optimise and publish: the planner's hands on a draft, and the rep's Today."""

from __future__ import annotations

import datetime as dt

from fieldcrm.plans.models import RoutePlan, RouteStop
from fieldcrm.visits.models import Visit
from tests.fieldcrm.plans.conftest import generate


def _plans(world, day):
    return {p.rep_id: p for p in RoutePlan.objects.filter(date=day, status="draft")}


def test_publish_creates_ordered_visits_the_rep_pulls_through_sync(
    as_user, world, plannable, tomorrow
):
    generate(as_user("planner"), world, tomorrow)
    plan = _plans(world, tomorrow)[world.rep1.pk]
    response = as_user("planner").post(f"plans/{plan.pk}/publish")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    visits = Visit.objects.filter(rep=world.rep1, scheduled_on=tomorrow).order_by("route_sequence")
    stops = list(plan.stops.order_by("sequence"))
    assert [v.account_id for v in visits] == [s.account_id for s in stops]
    assert [v.planned_arrival_at for v in visits] == [s.arrival_at for s in stops]
    pulled = as_user("rep1").get("sync/pull?cursor=0").json()["changes"]["visits"]
    mine = {v["id"]: v for v in pulled}
    assert all(str(v.pk) in mine for v in visits)
    assert {mine[str(v.pk)]["route_sequence"] for v in visits} == set(range(1, len(stops) + 1))


def test_the_rep_reads_only_their_own_published_plan(as_user, world, plannable, tomorrow):
    generate(as_user("planner"), world, tomorrow)
    plans = _plans(world, tomorrow)
    assert as_user("rep1").get(f"plans?date={tomorrow}").json()["count"] == 0  # drafts hidden
    as_user("planner").post(f"plans/{plans[world.rep1.pk].pk}/publish")
    as_user("planner").post(f"plans/{plans[world.rep2.pk].pk}/publish")
    body = as_user("rep1").get(f"plans?date={tomorrow}").json()
    assert [p["rep_id"] for p in body["items"]] == [world.rep1.pk]
    assert as_user("rep1").get(f"plans/{plans[world.rep2.pk].pk}").status_code == 404
    assert as_user("rep1").post(f"plans/{plans[world.rep1.pk].pk}/publish").status_code == 403


def test_republishing_archives_the_old_plan_and_keeps_one_visit_per_stop(
    as_user, world, plannable, tomorrow
):
    planner = as_user("planner")
    generate(planner, world, tomorrow)
    planner.post(f"plans/{_plans(world, tomorrow)[world.rep1.pk].pk}/publish")
    generate(planner, world, tomorrow)
    second = _plans(world, tomorrow)[world.rep1.pk]
    assert planner.post(f"plans/{second.pk}/publish").status_code == 200
    statuses = RoutePlan.objects.filter(rep=world.rep1, date=tomorrow)
    assert sorted(statuses.values_list("status", flat=True)) == ["archived", "published"]
    planned = Visit.objects.filter(rep=world.rep1, scheduled_on=tomorrow, status="planned")
    assert planned.count() == second.stops.count()
    assert planner.post(f"plans/{second.pk}/publish").status_code == 422  # not a draft anymore


def test_move_a_stop_to_another_rep_pins_it_and_reoptimise_keeps_it(
    as_user, world, plannable, tomorrow
):
    world.territory_a.reps.add(world.rep2)  # rep2 may open A's accounts too (issue 14)
    planner = as_user("planner")
    generate(planner, world, tomorrow)
    plans = _plans(world, tomorrow)
    stop = plans[world.rep1.pk].stops.order_by("sequence").first()
    moved = planner.post(
        f"plans/stops/{stop.pk}/move", {"plan_id": plans[world.rep2.pk].pk, "position": 1}
    )
    assert moved.status_code == 200, moved.content
    first = moved.json()["stops"][0]
    assert first["account_id"] == str(stop.account_id) and first["is_pinned"]
    assert moved.json()["stats"]["stale"] is True
    # The map's lines follow the stops as they now are: through the moved stop on rep2's
    # route (from rep2's home base first), no longer on rep1's.
    where = stop.account.location.coords
    target, source = (RoutePlan.objects.get(pk=plans[r.pk].pk) for r in (world.rep2, world.rep1))
    assert target.path.coords[1] == where and target.path.coords[0] == world.rep2.home_base.coords
    assert where not in source.path.coords
    body = {"region_id": world.north.pk, "date": tomorrow.isoformat(), "time_limit_s": 0.5}
    response = planner.post("plans/reoptimise", body)
    assert response.status_code == 200, response.content
    again = RouteStop.objects.get(plan__date=tomorrow, plan__status="draft",
                                  account_id=stop.account_id)  # fmt: skip
    assert again.plan.rep_id == world.rep2.pk and again.is_pinned
    assert RouteStop.objects.filter(plan__date=tomorrow).count() == 6


def test_pin_and_unpin_a_stop(as_user, world, plannable, tomorrow):
    planner = as_user("planner")
    generate(planner, world, tomorrow)
    stop = RouteStop.objects.filter(plan__date=tomorrow).first()
    assert planner.post(f"plans/stops/{stop.pk}/pin", {"pinned": True}).json()["is_pinned"]
    assert not planner.post(f"plans/stops/{stop.pk}/pin", {"pinned": False}).json()["is_pinned"]


def test_reps_and_other_regions_cannot_edit_plans(as_user, world, plannable, tomorrow):
    generate(as_user("planner"), world, tomorrow)
    stop = RouteStop.objects.filter(plan__date=tomorrow).first()
    assert as_user("rep1").post(f"plans/stops/{stop.pk}/pin", {"pinned": True}).status_code in (
        403, 404,
    )  # fmt: skip
    body = {"region_id": world.south.pk, "date": tomorrow.isoformat()}
    assert as_user("planner").post("plans/reoptimise", body).status_code == 404


def _pins(day):
    """Per rep: the pinned accounts in route order, and every account of the route."""
    out = {}
    for plan in RoutePlan.objects.filter(date=day, status="draft"):
        stops = list(plan.stops.order_by("sequence"))
        out[plan.rep_id] = ([s.account_id for s in stops if s.is_pinned],
                            sorted(s.account_id for s in stops))  # fmt: skip
    return out


def test_reoptimise_keeps_each_pin_with_its_rep_and_in_its_order_among_the_pins(
    as_user, world, plannable, tomorrow
):
    planner = as_user("planner")
    generate(planner, world, tomorrow)
    for plan in _plans(world, tomorrow).values():
        first, _middle, last = plan.stops.order_by("sequence")
        # Against the solver's own order: the last stop first (a move pins it), and the
        # first one pinned where it now is, behind the unpinned middle one.
        moved = planner.post(f"plans/stops/{last.pk}/move", {"plan_id": plan.pk, "position": 1})
        assert moved.status_code == 200, moved.content
        assert planner.post(f"plans/stops/{first.pk}/pin", {"pinned": True}).status_code == 200
    before = _pins(tomorrow)
    assert all(len(pinned) == 2 for pinned, _all in before.values())
    body = {"region_id": world.north.pk, "date": tomorrow.isoformat(), "time_limit_s": 0.5}
    response = planner.post("plans/reoptimise", body)
    assert response.status_code == 200, response.content
    assert _pins(tomorrow) == before


def test_reoptimise_leaves_out_unpinned_stops_never_pinned_ones_when_the_day_shrinks(
    as_user, world, plannable, tomorrow
):
    planner = as_user("planner")
    generate(planner, world, tomorrow)
    plan = _plans(world, tomorrow)[world.rep1.pk]
    stops = list(plan.stops.order_by("sequence").select_related("account"))
    assert len(stops) == 3
    for stop in stops:
        if stop.account.tier != "A":  # the planner pins the two lower-priority visits
            planner.post(f"plans/stops/{stop.pk}/pin", {"pinned": True})
    world.rep1.shift_end = dt.time(9, 35)  # room for two of the three visits now
    world.rep1.save()
    before = _pins(tomorrow)[world.rep1.pk][0]
    body = {"region_id": world.north.pk, "date": tomorrow.isoformat(), "time_limit_s": 0.5}
    response = planner.post("plans/reoptimise", body)
    assert response.status_code == 200, response.content
    assert _pins(tomorrow)[world.rep1.pk] == (before, sorted(before))
    [top] = [s for s in stops if s.account.tier == "A"]
    mine = next(p for p in response.json() if p["rep_id"] == world.rep1.pk)
    assert mine["stats"]["dropped"] == [{"account_id": str(top.account_id), "reason": "no_time"}]
