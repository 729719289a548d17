"""Issue 14, defect 1: a plan only gives a rep stops their phone can open (the access rule),
when generating (one problem or one per territory), moving a stop, and publishing."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.utils import timezone

from fieldcrm.access import scoped
from fieldcrm.accounts.models import Account
from fieldcrm.plans import planning
from fieldcrm.plans.models import RoutePlan, RouteStop
from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.fieldcrm.plans.conftest import generate


def _drafts(day):
    return {p.rep_id: p for p in RoutePlan.objects.filter(date=day, status="draft")}


def _assert_every_stop_in_its_reps_scope(day):
    stops = RouteStop.objects.filter(plan__date=day).select_related("plan__rep", "account")
    assert stops.exists()
    for stop in stops:
        seen = scoped(Account, stop.plan.rep).filter(pk=stop.account_id).exists()
        assert seen, f"{stop.plan.rep} got {stop.account.name}"


def _swap_homes(world):
    # Each rep starts in the other's territory: the nearest visits are the ones they may not see.
    for rep, lng in ((world.rep1, 1.15), (world.rep2, 1.05)):
        rep.home_base = Point(lng, 42.05, srid=4326)
        rep.save()


def test_generated_plans_give_each_rep_only_accounts_in_their_scope(
    as_user, world, plannable, tomorrow
):
    _swap_homes(world)
    owned = make_account("Owned in B", lng=1.16, lat=42.06, status="customer", owner=world.rep1)
    owned.visit_frequency_days, owned.last_visited_at = 14, timezone.now() - timezone.timedelta(60)
    owned.save()
    response = generate(as_user("planner"), world, tomorrow)
    assert response.status_code == 202, response.content
    assert response.json()["result"]["visits"] == 7
    _assert_every_stop_in_its_reps_scope(tomorrow)


def test_split_problems_send_an_owned_account_to_its_owner_and_others_to_no_one(
    as_user, world, plannable, tomorrow, monkeypatch
):
    monkeypatch.setattr(planning, "SPLIT_THRESHOLD", 0)  # one problem per territory
    world.territory_b.reps.clear()  # B has no rep now: only what someone owns there is plannable
    Account.objects.filter(territory=world.territory_b).update(owner=None)
    owned = make_account("Owned in B", lng=1.16, lat=42.06, status="customer", owner=world.rep1)
    owned.visit_frequency_days, owned.last_visited_at = 14, timezone.now() - timezone.timedelta(60)
    owned.save()
    job = generate(as_user("planner"), world, tomorrow).json()
    assert job["status"] == "done", job
    _assert_every_stop_in_its_reps_scope(tomorrow)
    planned = set(RouteStop.objects.filter(plan__date=tomorrow).values_list("account", flat=True))
    assert owned.pk in planned
    unseen = {str(a.pk) for a in plannable if a.territory_id == world.territory_b.pk}
    assert {d["account_id"] for d in job["result"]["dropped"]} == unseen
    assert {d["reason"] for d in job["result"]["dropped"]} == {"no_rep"}


def test_moving_a_stop_to_a_rep_who_cannot_open_the_account_is_422_naming_both(
    as_user, world, plannable, tomorrow
):
    planner = as_user("planner")
    generate(planner, world, tomorrow)
    plans = _drafts(tomorrow)
    stop = plans[world.rep1.pk].stops.order_by("sequence").first()
    before = list(RouteStop.objects.order_by("pk").values_list("pk", "plan", "sequence"))
    moved = planner.post(
        f"plans/stops/{stop.pk}/move", {"plan_id": plans[world.rep2.pk].pk, "position": 1}
    )
    assert moved.status_code == 422, moved.content
    [error] = moved.json()["detail"]
    assert error["loc"][-1] == "plan_id"
    assert "rep2" in error["msg"] and stop.account.name in error["msg"]
    assert list(RouteStop.objects.order_by("pk").values_list("pk", "plan", "sequence")) == before


def test_publishing_never_publishes_a_stop_the_rep_cannot_open(as_user, world, plannable, tomorrow):
    planner = as_user("planner")
    generate(planner, world, tomorrow)
    plan = _drafts(tomorrow)[world.rep1.pk]
    # The account moved to rep2's territory after the plan was drafted.
    stop = plan.stops.order_by("sequence").last()
    Account.objects.filter(pk=stop.account_id).update(territory=world.territory_b, owner=None)
    response = planner.post(f"plans/{plan.pk}/publish")
    assert response.status_code == 422, response.content
    [error] = response.json()["detail"]
    assert error["loc"][-1] == "plan_id"
    assert "rep1" in error["msg"] and stop.account.name in error["msg"]
    plan.refresh_from_db()
    assert plan.status == "draft"
    assert not Visit.objects.filter(rep=world.rep1, scheduled_on=tomorrow).exists()


def test_the_planner_page_offers_a_stop_only_to_reps_who_can_open_its_account(
    client, as_user, world, plannable, tomorrow
):
    shared = plannable[0]  # in territory A; owned by rep2 too, so both reps can open it
    shared.owner = world.rep2
    shared.save()
    generate(as_user("planner"), world, tomorrow)
    plans = _drafts(tomorrow)
    client.force_login(world.planner)
    page = client.get(f"/planner/?region={world.north.pk}&date={tomorrow}")
    assert page.status_code == 200
    offered = {
        stop.account_id: {p.rep_id for p in stop.move_targets}
        for plan in page.context["plans"]
        for stop in plan.stops.all()
    }
    for plan in plans.values():
        for stop in plan.stops.all():
            expected = (
                {world.rep1.pk, world.rep2.pk} if stop.account_id == shared.pk else {plan.rep_id}
            )
            assert offered[stop.account_id] == expected, stop.account.name
    html = page.content.decode()
    assert html.count("data-move-target=") == sum(p.stops.count() for p in plans.values())
