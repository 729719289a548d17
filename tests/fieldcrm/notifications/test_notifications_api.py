"""/api/v1/notifications through HTTP, as the personas: one's own only; read, read all."""

import uuid

from fieldcrm.notifications.models import Notification
from fieldcrm.notifications.services import notification_create
from fieldcrm.tasks.models import Task


def notify(user, title="Call Anna", kind="task_due", **kw):
    task = Task.objects.create(title=title, assignee=user)
    return notification_create(
        recipient=user, kind=kind, params={"title": title, "due_at": "2026-03-03T09:00:00Z"},
        record=("task", task.pk), **kw,
    )  # fmt: skip


def test_a_user_lists_and_counts_only_their_own_unread_notifications(as_user, world):
    mine = notify(world.rep1)
    notify(world.rep2, title="Not yours")
    notify(world.admin, title="Admin's")
    rep = as_user("rep1")
    listed = rep.get("notifications").json()
    assert [i["id"] for i in listed["items"]] == [str(mine.pk)]
    item = listed["items"][0]
    assert item["title"] == "Task due: Call Anna" and item["link"] == "/app/#/tasks"
    assert item["kind"] == "task_due" and item["params"]["title"] == "Call Anna"
    assert rep.get("notifications/unread-count").json() == {"count": 1}
    # An admin sees everything else, but not someone else's notifications.
    assert [
        i["params"]["title"] for i in as_user("admin").get("notifications").json()["items"]
    ] == ["Admin's"]


def test_a_notification_renders_in_the_readers_language(as_user, world):
    notify(world.rep1)
    answer = as_user("rep1").get("notifications", HTTP_ACCEPT_LANGUAGE="vi").json()
    assert answer["items"][0]["title"] != "Task due: Call Anna"
    assert "Call Anna" in answer["items"][0]["title"]


def test_marking_read_is_idempotent_and_someone_elses_is_not_found(as_user, world):
    mine, theirs = notify(world.rep1), notify(world.rep2)
    rep = as_user("rep1")
    first = rep.post(f"notifications/{mine.pk}/read")
    assert first.status_code == 200 and first.json()["is_read"] is True
    again = rep.post(f"notifications/{mine.pk}/read")
    assert again.json()["read_at"] == first.json()["read_at"]
    assert again.json()["version"] == first.json()["version"]
    other = rep.post(f"notifications/{theirs.pk}/read")
    missing = rep.post(f"notifications/{uuid.UUID(int=1)}/read")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_read_all_marks_only_the_callers_unread_ones(as_user, world):
    for n in range(3):
        notify(world.rep1, title=f"Task {n}")
    theirs = notify(world.rep2)
    rep = as_user("rep1")
    assert rep.post("notifications/read-all").json() == {"marked": 3}
    assert rep.post("notifications/read-all").json() == {"marked": 0}
    assert rep.get("notifications/unread-count").json() == {"count": 0}
    assert rep.get("notifications?unread=true").json()["count"] == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_a_key_makes_a_notification_once(world):
    assert notify(world.rep1, key="task:1:due") is not None
    assert notify(world.rep1, key="task:1:due") is None
    assert Notification.objects.filter(key="task:1:due").count() == 1


def test_settings_choose_a_channel_per_kind_and_off_makes_nothing(as_user, world):
    rep = as_user("rep1")
    assert rep.get("notifications/settings").json()["channels"]["task_due"] == "in_app"
    answer = rep.patch(
        "notifications/settings",
        {"channels": {"task_due": "off"}, "quiet_start": "21:00", "quiet_end": "07:00",
         "language": "fa"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["channels"]["task_due"] == "off" and body["channels"]["task_overdue"] == "in_app"
    assert (body["quiet_start"], body["quiet_end"], body["language"]) == ("21:00", "07:00", "fa")
    assert notify(world.rep1) is None


def test_bad_settings_name_the_field(as_user, world):
    rep = as_user("rep1")
    for body, field in (
        ({"language": "xx"}, "language"),
        ({"lead_minutes": 10**30}, "lead_minutes"),
        ({"lead_minutes": -1}, "lead_minutes"),
        ({"channels": {"task_due": "pigeon"}}, "channels"),
        ({"channels": {"nope": "off"}}, "channels"),
        ({"quiet_start": "22:00"}, "quiet_end"),
    ):
        answer = rep.patch("notifications/settings", body)
        assert answer.status_code == 422, (body, answer.content)
        assert field in answer.json()["detail"][0]["loc"], (body, answer.json())
