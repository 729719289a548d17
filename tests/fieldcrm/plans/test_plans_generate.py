"""Generating plans through the API: inline end to end, job progress, and every bad input."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Point

from fieldcrm.plans.models import PlanJob, RoutePlan, RouteStop
from fieldcrm.plans.services import plan_job_run
from tests.factories import make_account
from tests.fieldcrm.plans.conftest import generate


def test_planner_generates_draft_plans_inline_for_every_rep(as_user, world, plannable, tomorrow):
    response = generate(as_user("planner"), world, tomorrow)
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "done" and job["progress"] == 100
    assert job["result"]["visits"] == 6 and job["result"]["dropped"] == []
    plans = RoutePlan.objects.filter(date=tomorrow, status="draft")
    assert {p.rep_id for p in plans} == {world.rep1.pk, world.rep2.pk}
    assert sorted(job["plan_ids"]) == sorted(p.pk for p in plans)
    assert RouteStop.objects.filter(plan__in=plans).count() == 6
    status = as_user("planner").get(f"plans/jobs/{job['id']}").json()
    assert status["status"] == "done" and status["result"]["plans"] == 2


def test_plans_are_read_by_rep_and_date(as_user, world, plannable, tomorrow):
    generate(as_user("planner"), world, tomorrow)
    body = as_user("manager").get(f"plans?rep_id={world.rep1.pk}&date={tomorrow}").json()
    assert body["count"] == 1
    stops = body["items"][0]["stops"]
    assert [s["sequence"] for s in stops] == list(range(1, len(stops) + 1))
    assert all(s["arrival_at"] <= s["start_at"] <= s["departure_at"] for s in stops)


def test_a_rerun_of_the_same_job_leaves_exactly_one_set_of_plans(
    as_user, world, plannable, tomorrow
):
    job_id = generate(as_user("planner"), world, tomorrow).json()["id"]
    # A worker killed after its work: the broker redelivers and the job runs again.
    PlanJob.objects.filter(pk=job_id).update(status="running")
    job = plan_job_run(job_id=job_id)
    assert job.status == "done" and job.attempts == 2
    assert RoutePlan.objects.filter(date=tomorrow).count() == 2
    assert RouteStop.objects.filter(plan__date=tomorrow).count() == 6


def test_a_second_generate_while_one_runs_gets_409_naming_it(as_user, world, plannable, tomorrow):
    running = PlanJob.objects.create(region=world.north, date=tomorrow, status="running")
    response = generate(as_user("manager"), world, tomorrow)
    assert response.status_code == 409
    assert response.json()["job_id"] == running.pk
    assert str(running.pk) in response.json()["detail"]


def test_a_date_in_the_past_is_422(as_user, world, plannable, tomorrow):
    response = generate(as_user("planner"), world, tomorrow - dt.timedelta(days=2))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "date"


def test_a_region_without_reps_is_422(as_user, world, tomorrow):
    world.planner.regions.add(world.south)
    world.territory_s.reps.clear()
    body = {"region_id": world.south.pk, "date": tomorrow.isoformat(), "time_limit_s": 1}
    response = as_user("planner").post("plans/generate", body)
    assert response.status_code == 422
    assert "no reps" in response.json()["detail"][0]["msg"]


def test_reps_without_home_base_or_shift_are_named_one_by_one(as_user, world, tomorrow):
    world.rep1.working_days = []
    world.rep1.save()
    response = generate(as_user("planner"), world, tomorrow)
    assert response.status_code == 422
    msg = response.json()["detail"][0]["msg"]
    assert "rep2 has no home base" in msg and "rep1" in msg


def test_one_unplannable_rep_is_a_warning_and_the_others_are_planned(
    as_user, world, plannable, tomorrow
):
    world.rep2.home_base = None
    world.rep2.save()
    job = generate(as_user("planner"), world, tomorrow).json()
    assert job["status"] == "done"
    assert job["result"]["warnings"] == ["rep2 has no home base."]
    assert set(RoutePlan.objects.values_list("rep_id", flat=True)) == {world.rep1.pk}


def test_accounts_without_coordinates_are_listed_in_the_result(as_user, world, plannable, tomorrow):
    lost = make_account("Nowhere", lng=None, status="lead")
    lost.territory = world.territory_a
    lost.save()
    job = generate(as_user("planner"), world, tomorrow).json()
    assert job["status"] == "done"
    assert job["result"]["missing_location"] == [{"account_id": str(lost.pk), "name": "Nowhere"}]


def test_a_rep_cannot_generate(as_user, world, plannable, tomorrow):
    assert generate(as_user("rep1"), world, tomorrow).status_code == 403


def test_another_region_answers_404_like_a_missing_one(as_user, world, tomorrow):
    body = {"date": tomorrow.isoformat(), "time_limit_s": 1}
    outside = as_user("planner").post("plans/generate", {**body, "region_id": world.south.pk})
    missing = as_user("planner").post("plans/generate", {**body, "region_id": 99999})
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


def test_job_of_another_region_is_404(as_user, world, tomorrow):
    job = PlanJob.objects.create(region=world.south, date=tomorrow, status="done")
    assert as_user("planner").get(f"plans/jobs/{job.pk}").status_code == 404
    assert as_user("rep3").get(f"plans/jobs/{job.pk}").status_code == 404
    assert as_user("admin").get(f"plans/jobs/{job.pk}").status_code == 200


def test_booked_appointment_is_planned_in_its_window_by_its_rep(
    as_user, world, plannable, tomorrow
):
    from fieldcrm.visits.models import Visit

    shop = plannable[0]
    world.territory_a.reps.add(world.rep2)  # rep2 may open shop 0 (issue 14)
    booked = Visit.objects.create(
        account=shop, rep=world.rep2, scheduled_on=tomorrow, is_required=True,
        window_start=dt.time(14), window_end=dt.time(15),
    )  # fmt: skip
    generate(as_user("planner"), world, tomorrow)
    stop = RouteStop.objects.get(account=shop, plan__date=tomorrow)
    assert stop.plan.rep_id == world.rep2.pk and stop.visit_id == booked.pk
    assert dt.time(14) <= stop.start_at.time() <= dt.time(14, 30)


def test_an_appointment_booked_for_a_rep_who_cannot_open_the_account_is_left_out_as_such(
    as_user, world, plannable, tomorrow
):
    from fieldcrm.visits.models import Visit

    shop = plannable[0]  # territory A: rep2 cannot open it
    Visit.objects.create(account=shop, rep=world.rep2, scheduled_on=tomorrow, is_required=True)
    job = generate(as_user("planner"), world, tomorrow).json()
    assert not RouteStop.objects.filter(account=shop, plan__date=tomorrow).exists()
    assert [(d["account_id"], d["reason"]) for d in job["result"]["dropped"]] == [
        (str(shop.pk), "not_allowed")
    ]


def test_home_base_far_away_still_answers(as_user, world, plannable, tomorrow):
    world.rep1.home_base = Point(100.0, 10.0, srid=4326)
    world.rep1.save()
    job = generate(as_user("planner"), world, tomorrow).json()
    assert job["status"] == "done"


NOON = {d: [["12:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_each_reps_day_starts_at_the_shift_start_not_at_the_shop_that_opens_at_noon(
    as_user, world, plannable, tomorrow
):
    # Shop 1 is at rep1's door: the shortest drive starts there, at noon, with an empty morning.
    plannable[1].opening_hours = NOON
    plannable[1].save()
    job = generate(as_user("planner"), world, tomorrow).json()
    assert job["result"]["visits"] == 6 and job["result"]["warnings"] == []
    for plan in RoutePlan.objects.filter(date=tomorrow):
        first = plan.stops.order_by("sequence").first()
        # 08:30 shift start, a drive of a few minutes, 15 minutes of grace at most.
        assert first.start_at.time() <= dt.time(9, 0), (plan.rep, first.start_at)


def test_a_rep_whose_visits_all_open_at_noon_starts_then_and_the_planner_is_told_why(
    as_user, world, plannable, tomorrow
):
    for account in plannable[3:]:  # rep2's territory B
        account.opening_hours = NOON
        account.save()
    job = generate(as_user("planner"), world, tomorrow).json()
    [warning] = job["result"]["warnings"]
    assert warning.startswith("rep2 starts at 12:00") and "from 12:00" in warning
    page = as_user("planner").get(f"/planner/?region={world.north.pk}&date={tomorrow}")
    assert "rep2 starts at 12:00" in page.content.decode()
