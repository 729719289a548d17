"""/api/v1/tasks through HTTP, as the personas."""

import datetime as dt
import uuid

import pytest
import time_machine

from fieldcrm.tasks.models import Task
from tests.factories import make_account

UTC = dt.timezone.utc


def task(assignee, title="Call", due=None, **fields):
    return Task.objects.create(title=title, assignee=assignee, due_at=due, **fields)


def titles(response):
    assert response.status_code == 200, response.content
    return [i["title"] for i in response.json()["items"]]


def test_rep_creates_a_task_for_themselves(as_user, world):
    account = make_account("Alpha", lng=1.02, lat=42.02)
    body = {"title": "Call back", "account_id": str(account.pk), "due_at": "2026-03-03T09:00:00Z"}
    response = as_user("rep1").post("tasks", body)
    assert response.status_code == 201, response.content
    assert response.json()["assignee_id"] == world.rep1.pk
    assert response.json()["created_by_id"] == world.rep1.pk


def test_a_rep_only_assigns_to_themselves_and_a_manager_within_the_region(as_user, world):
    rep = as_user("rep1").post("tasks", {"title": "X", "assignee_id": world.rep2.pk})
    assert rep.status_code == 422 and rep.json()["detail"][0]["loc"] == ["body", "assignee_id"]
    manager = as_user("manager")
    assert manager.post("tasks", {"title": "X", "assignee_id": world.rep2.pk}).status_code == 201
    far = manager.post("tasks", {"title": "X", "assignee_id": world.rep3.pk})
    assert far.status_code == 422 and far.json()["detail"][0]["loc"] == ["body", "assignee_id"]
    assert Task.objects.count() == 1


def test_any_valid_utc_offset_is_stored_as_the_same_instant(as_user, world):
    # ISO 8601 allows offsets up to ±23:59; PostgreSQL refuses beyond ±15:59.
    response = as_user("rep1").post("tasks", {"title": "X", "due_at": "2026-03-03T20:00:00+17:37"})
    assert response.status_code == 201, response.content
    assert Task.objects.get().due_at == dt.datetime(2026, 3, 3, 2, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"title": ""}, "title"), ({"title": "X", "kind": "dance"}, "kind"),
     ({"title": "X", "due_at": "tomorrow"}, "due_at"),
     ({"title": "X", "due_at": "0001-01-01T00:00:00+05:00"}, "due_at"),
     ({"title": "X", "account_id": "S1"}, "account_id"),
     ({"title": "X", "account_id": "nope"}, "account_id")],
)  # fmt: skip
def test_bad_create_is_422_naming_the_field_and_saves_nothing(as_user, world, body, field):
    south = make_account("South", lng=1.05, lat=41.05)
    body = {k: str(south.pk) if v == "S1" else v for k, v in body.items()}
    response = as_user("rep1").post("tasks", body)
    assert response.status_code == 422, response.content
    assert field in str(response.json()["detail"])
    assert not Task.all_objects.exists()


def test_scope_rep_sees_own_manager_region_admin_all(as_user, world):
    task(world.rep1)
    task(world.rep2)
    task(world.rep3)
    task(world.manager)
    assert as_user("rep1").get("tasks").json()["count"] == 1
    assert as_user("manager").get("tasks").json()["count"] == 3
    assert titles(as_user("manager").get("tasks?mine=true")) == ["Call"]
    assert as_user("admin").get("tasks").json()["count"] == 4
    assert as_user("admin").get("tasks?mine=true").json()["count"] == 0


def test_out_of_scope_task_is_404_like_a_missing_one(as_user, world):
    t = task(world.rep2)
    rep1 = as_user("rep1")
    outside, missing = rep1.get(f"tasks/{t.pk}"), rep1.get(f"tasks/{uuid.uuid4()}")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert rep1.post(f"tasks/{t.pk}/complete").status_code == 404
    assert rep1.patch(f"tasks/{t.pk}", {"title": "mine now"}).status_code == 404


def test_due_today_and_overdue_follow_the_region_time_zone(as_user, world):
    world.north.timezone = "Asia/Tokyo"  # UTC+9
    world.north.save()
    with time_machine.travel(dt.datetime(2026, 3, 2, 20, 0, tzinfo=UTC), tick=False):
        task(world.rep1, "tonight utc, morning tokyo", dt.datetime(2026, 3, 2, 21, tzinfo=UTC))
        task(world.rep1, "tomorrow utc, today tokyo", dt.datetime(2026, 3, 3, 10, tzinfo=UTC))
        task(world.rep1, "late", dt.datetime(2026, 3, 2, 14, tzinfo=UTC))
        task(
            world.rep1,
            "done late",
            dt.datetime(2026, 3, 2, 14, tzinfo=UTC),
            done_at=dt.datetime(2026, 3, 2, 15, tzinfo=UTC),
        )
        task(world.rep3, "south tomorrow", dt.datetime(2026, 3, 3, 10, tzinfo=UTC))
        task(world.rep3, "south tonight", dt.datetime(2026, 3, 2, 21, tzinfo=UTC))
        rep1 = as_user("rep1")
        assert titles(rep1.get("tasks?due_today=true")) == [
            "tonight utc, morning tokyo",
            "tomorrow utc, today tokyo",
        ]
        assert titles(rep1.get("tasks?overdue=true")) == ["late"]
        assert titles(rep1.get("tasks?done=true")) == ["done late"]
        assert titles(as_user("rep3").get("tasks?due_today=true")) == ["south tonight"]


def test_complete_is_idempotent(as_user, world):
    t = task(world.rep1)
    rep1 = as_user("rep1")
    first = rep1.post(f"tasks/{t.pk}/complete")
    assert first.status_code == 200 and first.json()["is_done"]
    second = rep1.post(f"tasks/{t.pk}/complete")
    assert second.json()["done_at"] == first.json()["done_at"]
    assert second.json()["version"] == first.json()["version"]


def test_patch_and_planner_limits(as_user, world):
    t = task(world.rep1)
    manager = as_user("manager")
    response = manager.patch(f"tasks/{t.pk}", {"title": "Call today", "assignee_id": world.rep2.pk})
    assert response.status_code == 200, response.content
    assert response.json()["assignee_id"] == world.rep2.pk
    assert manager.patch(f"tasks/{t.pk}", {"title": None}).status_code == 422
    planner = as_user("planner")
    assert planner.get(f"tasks/{t.pk}").status_code == 200
    assert planner.post(f"tasks/{t.pk}/complete").status_code == 403
    assert planner.post("tasks", {"title": "Mine"}).status_code == 201


def test_unknown_filter_is_refused(as_user, world):
    response = as_user("rep1").get("tasks?urgent=1")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "urgent"]
