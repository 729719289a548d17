"""The calendar feed: a secret, revocable address; valid iCalendar holding one's own items."""

import datetime as dt

import icalendar

from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account

UTC = dt.UTC


def feed_path(as_user, persona):
    answer = as_user(persona).post("calendar-feed")
    assert answer.status_code == 201, answer.content
    return answer.json()["url"].split("8000", 1)[1]


def events(client, path):
    answer = client.get(path)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "text/calendar"
    calendar = icalendar.Calendar.from_ical(answer.content)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_parses_and_holds_the_users_own_tasks_and_visits(as_user, world, client):
    world.north.timezone = "Asia/Ho_Chi_Minh"
    world.north.save()
    account = make_account("Bakery", lng=1.05, lat=42.05, address="1 Main St")
    soon = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(days=1)
    Task.objects.create(title="Call Anna", assignee=world.rep1, due_at=soon)
    Task.objects.create(title="Done one", assignee=world.rep1, due_at=soon, done_at=soon)
    Task.objects.create(title="Rep2's", assignee=world.rep2, due_at=soon)
    day = soon.date()
    Visit.objects.create(account=account, rep=world.rep1, scheduled_on=day, is_required=True,
                         window_start=dt.time(9), window_end=dt.time(10))  # fmt: skip
    Visit.objects.create(account=account, rep=world.rep2, scheduled_on=day)
    found = events(client, feed_path(as_user, "rep1"))
    assert set(found) == {"Task: Call Anna", "Visit: Bakery"}
    assert found["Task: Call Anna"].decoded("dtstart") == soon
    booked = found["Visit: Bakery"]
    # 09:00 in Ho Chi Minh City is 02:00 UTC.
    assert booked.decoded("dtstart") == dt.datetime.combine(day, dt.time(2), tzinfo=UTC)
    assert booked.decoded("dtend") == dt.datetime.combine(day, dt.time(3), tzinfo=UTC)
    assert str(booked["location"]) == "1 Main St"
    assert str(booked["uid"]).endswith("@fieldcrm")


def test_a_new_address_replaces_the_old_and_revoking_ends_it(as_user, world, client):
    first = feed_path(as_user, "rep1")
    second = feed_path(as_user, "rep1")
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    rep = as_user("rep1")
    assert rep.get("calendar-feed").json()["active"] is True
    assert rep.delete("calendar-feed").status_code == 204
    assert client.get(second).status_code == 404
    assert rep.get("calendar-feed").json() == {"active": False, "created_at": None}
    assert client.get("/calendar/cal_nonsense.ics").status_code == 404


def test_a_user_whose_access_was_revoked_has_no_feed(as_user, world, client):
    path = feed_path(as_user, "rep1")
    world.rep1.is_active = False
    world.rep1.save()
    assert client.get(path).status_code == 404
