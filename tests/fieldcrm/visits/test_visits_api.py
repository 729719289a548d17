"""/api/v1/visits through HTTP, as the personas."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fieldcrm.accounts.models import Account, Activity
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account


@pytest.fixture
def shops(world):
    return {
        "a1": make_account("Alpha Bakery", lng=1.02, lat=42.02, visit_frequency_days=14),
        "b1": make_account("Gamma Garage", lng=1.15, lat=42.05),
        "s1": make_account("South Shop", lng=1.05, lat=41.05),
    }


def visit(account, rep, **fields):
    return Visit.objects.create(account=account, rep=rep, **fields)


def test_rep_plans_and_checks_in_near_the_account(as_user, world, shops):
    response = as_user("rep1").post(
        "visits",
        {"account_id": str(shops["a1"].pk), "scheduled_on": "2026-03-02",
         "check_in": {"location": {"lat": 42.0201, "lng": 1.02}, "accuracy_m": 15}},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rep_id"] == world.rep1.pk
    assert body["status"] == "planned"
    assert 10 < body["distance_m"] < 12
    assert body["is_far"] is False
    assert body["check_in_location"] == {"lat": 42.0201, "lng": 1.02}


def test_far_check_in_is_flagged_beyond_200_m_plus_accuracy(as_user, world, shops):
    v = visit(shops["a1"], world.rep1)
    far = as_user("rep1").post(
        f"visits/{v.pk}/check-in", {"location": {"lat": 42.025, "lng": 1.02}, "accuracy_m": 50}
    )
    assert far.status_code == 200, far.content
    assert 500 < far.json()["distance_m"] < 600
    assert far.json()["is_far"] is True


def test_client_uuid_is_kept_and_a_reuse_is_refused(as_user, shops):
    client_id = str(uuid.uuid4())
    rep1 = as_user("rep1")
    body = {"id": client_id, "account_id": str(shops["a1"].pk)}
    assert rep1.post("visits", body).json()["id"] == client_id
    again = rep1.post("visits", body)
    assert again.status_code == 422
    assert again.json()["detail"][0]["loc"] == ["body", "id"]


def test_log_visit_appends_activity_updates_account_and_creates_next_step(as_user, world, shops):
    v = visit(shops["a1"], world.rep1, scheduled_on=dt.date(2026, 3, 2))
    response = as_user("rep1").post(
        f"visits/{v.pk}/log",
        {"outcome": "follow_up", "notes": "Wants a demo", "completed_at": "2026-03-02T10:00:00Z",
         "next_step": {"title": "Call back", "due_at": "2026-03-05T09:00:00Z"}},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    activity = Activity.objects.get(visit=v)
    assert (activity.kind, activity.body, activity.actor) == ("visit", "Wants a demo", world.rep1)
    account = Account.objects.get(pk=shops["a1"].pk)
    assert account.last_visited_at == dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone.utc)
    assert account.visit_due_at == dt.datetime(2026, 3, 16, 10, tzinfo=dt.timezone.utc)
    task = Task.objects.get()
    assert (task.title, task.assignee, task.account_id) == ("Call back", world.rep1, account.pk)


def test_log_is_all_or_nothing_when_the_next_step_is_bad(as_user, world, shops):
    v = visit(shops["a1"], world.rep1)
    response = as_user("rep1").post(
        f"visits/{v.pk}/log", {"outcome": "order", "next_step": {"title": ""}}
    )
    assert response.status_code == 422
    assert "title" in str(response.json()["detail"])
    assert Visit.objects.get(pk=v.pk).status == "planned"
    assert not Activity.objects.exists() and not Task.objects.exists()


def test_a_done_visit_is_append_only(as_user, world, shops):
    v = visit(shops["a1"], world.rep1)
    rep1 = as_user("rep1")
    rep1.post(f"visits/{v.pk}/check-in", {"location": {"lat": 42.02, "lng": 1.02}})
    assert rep1.post(f"visits/{v.pk}/log", {"outcome": "order"}).status_code == 200
    again = rep1.post(f"visits/{v.pk}/log", {"outcome": "order"})
    assert again.status_code == 422
    rewrite = rep1.patch(f"visits/{v.pk}", {"check_in": {"location": {"lat": 42.5, "lng": 1.5}}})
    assert rewrite.status_code == 422
    assert rewrite.json()["detail"][0]["loc"] == ["body", "check_in"]
    assert rep1.patch(f"visits/{v.pk}", {"status": "planned"}).status_code == 422
    assert rep1.patch(f"visits/{v.pk}", {"notes": "typo fixed"}).json()["notes"] == "typo fixed"
    assert Visit.objects.get(pk=v.pk).check_in_location.y == 42.02
    assert Activity.objects.filter(visit=v).count() == 1


def test_patch_status_done_logs_the_visit(as_user, world, shops):
    v = visit(shops["a1"], world.rep1)
    response = as_user("manager").patch(f"visits/{v.pk}", {"status": "done", "outcome": "order"})
    assert response.status_code == 200, response.content
    assert Activity.objects.filter(visit=v, kind="visit").exists()
    assert Account.objects.get(pk=shops["a1"].pk).last_visited_at is not None


def test_list_scope_rep_sees_own_manager_region_admin_all(as_user, world, shops):
    visit(shops["a1"], world.rep1)
    visit(shops["b1"], world.rep2)
    visit(shops["s1"], world.rep3)
    assert as_user("rep1").get("visits").json()["count"] == 1
    assert as_user("manager").get("visits").json()["count"] == 2
    assert as_user("planner").get("visits").json()["count"] == 2
    assert as_user("admin").get("visits").json()["count"] == 3


def test_list_filters(as_user, world, shops):
    visit(shops["a1"], world.rep1, scheduled_on=dt.date(2026, 3, 1))
    visit(shops["a1"], world.rep1, scheduled_on=dt.date(2026, 3, 9), status="cancelled")
    visit(shops["b1"], world.rep2, scheduled_on=dt.date(2026, 3, 5))
    manager = as_user("manager")

    def count(query):
        response = manager.get(f"visits?{query}")
        assert response.status_code == 200, response.content
        return response.json()["count"]

    assert count(f"rep={world.rep2.pk}") == 1
    assert count(f"account={shops['a1'].pk}") == 2
    assert count("status=cancelled&status=done") == 1
    assert count("date_from=2026-03-02&date_to=2026-03-06") == 1
    dates = [i["scheduled_on"] for i in manager.get("visits").json()["items"]]
    assert dates == ["2026-03-09", "2026-03-05", "2026-03-01"]


def test_out_of_scope_visit_is_404_like_a_missing_one(as_user, world, shops):
    v = visit(shops["b1"], world.rep2)
    rep1 = as_user("rep1")
    outside, missing = rep1.get(f"visits/{v.pk}"), rep1.get(f"visits/{uuid.uuid4()}")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert rep1.patch(f"visits/{v.pk}", {"notes": "x"}).status_code == 404
    assert as_user("rep3").post(f"visits/{v.pk}/log", {}).status_code == 404


def test_planner_reads_region_visits_but_may_not_write(as_user, world, shops):
    v = visit(shops["a1"], world.rep1)
    planner = as_user("planner")
    assert planner.get(f"visits/{v.pk}").status_code == 200
    assert planner.post(f"visits/{v.pk}/log", {}).status_code == 403
    assert planner.post("visits", {"account_id": str(shops["a1"].pk)}).status_code == 403


def test_manager_plans_for_a_region_rep_but_not_for_another_region(as_user, world, shops):
    manager = as_user("manager")
    ok = manager.post("visits", {"account_id": str(shops["a1"].pk), "rep_id": world.rep1.pk})
    assert ok.status_code == 201, ok.content
    bad = manager.post("visits", {"account_id": str(shops["a1"].pk), "rep_id": world.rep3.pk})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "rep_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"account_id": "not-a-uuid"}, "account_id"), ({}, "account_id"),
     ({"account_id": "A1", "rep_id": "R2"}, "rep_id"),
     ({"account_id": "B1"}, "account_id"),
     ({"account_id": "A1", "check_in": {"location": {"lat": 91, "lng": 1}}}, "lat"),
     ({"account_id": "A1", "check_in": {"location": {"lat": 42, "lng": 1}, "accuracy_m": -1}},
      "accuracy_m"),
     ({"account_id": "A1", "window_start": "10:00", "window_end": "09:00"}, "window_end")],
)  # fmt: skip
def test_bad_create_is_422_naming_the_field_and_saves_nothing(as_user, world, shops, body, field):
    ids = {"A1": shops["a1"].pk, "B1": shops["b1"].pk, "S1": shops["s1"].pk, "R2": world.rep2.pk}
    body = {k: str(ids[v]) if isinstance(v, str) and v in ids else v for k, v in body.items()}
    if "rep_id" in body:
        body["rep_id"] = int(body["rep_id"])
    response = as_user("rep1").post("visits", body)
    assert response.status_code == 422, response.content
    assert field in str(response.json()["detail"])
    assert not Visit.all_objects.exists()


def test_list_query_count_does_not_grow_with_rows(as_user, world, shops):
    manager = as_user("manager")
    visit(shops["a1"], world.rep1)
    with CaptureQueriesContext(connection) as few:
        assert manager.get("visits").status_code == 200
    for _ in range(6):
        visit(shops["a1"], world.rep1)
        visit(shops["b1"], world.rep2)
    with CaptureQueriesContext(connection) as many:
        assert manager.get("visits").json()["count"] == 13
    assert len(many) == len(few) <= 6


def test_unknown_filter_is_refused(as_user, world):
    response = as_user("rep1").get("visits?colour=red")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "colour"]
