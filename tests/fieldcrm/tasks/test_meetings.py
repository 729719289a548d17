"""Meetings (issue 17): a task kind with an end, a place and attendees; in the calendar feed of
its assignee and attendees only, as a VEVENT; reminded like a timed task."""

import datetime as dt
from collections import Counter

import icalendar
import pytest

from fieldcrm.notifications import clock
from fieldcrm.notifications.models import Notification
from fieldcrm.notifications.reminders import reminders_run
from fieldcrm.tasks.models import Task
from tests.factories import make_account

UTC = dt.UTC
START = dt.datetime.now(UTC).replace(microsecond=0, second=0) + dt.timedelta(days=2)
END = START + dt.timedelta(minutes=90)


def meeting_body(**fields):
    return {"title": "Tasting, menu", "kind": "meeting", "due_at": START.isoformat(),
            "ends_at": END.isoformat(), "location": "Back room; 2nd floor, \"Le Coin\"\nDoor B",
            **fields}  # fmt: skip


def feed(as_user, client, persona):
    answer = as_user(persona).post("calendar-feed")
    assert answer.status_code == 201, answer.content
    path = answer.json()["url"].split("8000", 1)[1]
    got = client.get(path)
    assert got.status_code == 200 and got["Content-Type"] == "text/calendar"
    calendar = icalendar.Calendar.from_ical(got.content)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_a_manager_plans_a_meeting_with_a_rep(as_user, world):
    world.rep1.email = "rep1@example.com"
    world.rep1.save()
    account = make_account("Bakery", lng=1.05, lat=42.05)
    body = meeting_body(account_id=str(account.pk), attendee_ids=[world.rep1.pk, world.rep1.pk])
    answer = as_user("manager").post("tasks", body)
    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert made["kind"] == "meeting" and made["attendee_ids"] == [world.rep1.pk]
    assert made["assignee_id"] == world.manager.pk
    assert dt.datetime.fromisoformat(made["ends_at"]) == END
    assert made["location"].startswith("Back room;")
    again = as_user("manager").get(f"tasks/{made['id']}").json()
    assert again["attendee_ids"] == [world.rep1.pk] and again["ends_at"] == made["ends_at"]
    listed = as_user("manager").get("tasks").json()["items"]
    assert [i["attendee_ids"] for i in listed] == [[world.rep1.pk]]
    patched = as_user("manager").patch(f"tasks/{made['id']}", {"attendee_ids": [world.rep2.pk]})
    assert patched.status_code == 200, patched.content
    assert patched.json()["attendee_ids"] == [world.rep2.pk]


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"ends_at": START.isoformat()}, "ends_at"),
     ({"ends_at": (START - dt.timedelta(hours=1)).isoformat()}, "ends_at"),
     ({"ends_at": "soon"}, "ends_at"),
     ({"due_at": None, "ends_at": None}, "due_at"),
     ({"kind": "call"}, "ends_at"),
     ({"kind": "call", "ends_at": None, "attendee_ids": ["R1"]}, "attendee_ids"),
     ({"attendee_ids": ["R3"]}, "attendee_ids"),
     ({"attendee_ids": [0]}, "attendee_ids"),
     ({"attendee_ids": [2**64]}, "attendee_ids"),
     ({"attendee_ids": list(range(1, 52))}, "attendee_ids"),
     ({"location": "x" * 301}, "location")],
)  # fmt: skip
def test_a_bad_meeting_is_422_naming_the_field_and_saves_nothing(as_user, world, fields, field):
    people = {"R1": world.rep1.pk, "R3": world.rep3.pk}  # rep3 is of another region
    if "attendee_ids" in fields:
        fields["attendee_ids"] = [people.get(v, v) for v in fields["attendee_ids"]]
    body = {k: v for k, v in meeting_body(**fields).items() if v is not None}
    answer = as_user("manager").post("tasks", body)
    assert answer.status_code == 422, answer.content
    assert field in answer.json()["detail"][0]["loc"], answer.json()
    assert not Task.all_objects.exists()


def test_an_edit_that_ends_a_meeting_before_it_starts_is_refused(as_user, world):
    made = as_user("manager").post("tasks", meeting_body()).json()
    answer = as_user("manager").patch(
        f"tasks/{made['id']}", {"ends_at": (START - dt.timedelta(minutes=5)).isoformat()}
    )
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "ends_at"
    assert Task.objects.get().ends_at == END


def test_the_meeting_is_in_the_feeds_of_its_assignee_and_attendees_only(as_user, world, client):
    world.rep1.email = "rep1@example.com"
    world.rep1.save()
    body = meeting_body(assignee_id=world.rep2.pk, attendee_ids=[world.rep1.pk],
                        notes="Bring samples, two; and the price list")  # fmt: skip
    made = as_user("manager").post("tasks", body)
    assert made.status_code == 201, made.content
    uid = f"task-{made.json()['id']}@fieldcrm"
    for persona in ("rep1", "rep2"):
        found = feed(as_user, client, persona)
        assert set(found) == {"Meeting: Tasting, menu"}, persona
        event = found["Meeting: Tasting, menu"]
        assert str(event["uid"]) == uid
        assert event.decoded("dtstart") == START and event.decoded("dtend") == END
        assert str(event["location"]) == 'Back room; 2nd floor, "Le Coin"\nDoor B'
        assert str(event["description"]) == "Bring samples, two; and the price list"
        attendee = event["attendee"]
        assert str(attendee) == "mailto:rep1@example.com"
        assert attendee.params["CN"] == "rep1"
    for persona in ("rep3", "manager", "admin"):
        assert "Meeting: Tasting, menu" not in feed(as_user, client, persona), persona
    # The text is escaped in the document itself (RFC 5545, 3.3.11), not only parsed back.
    raw = client.get(
        as_user("rep1").post("calendar-feed").json()["url"].split("8000", 1)[1]
    ).content.decode()
    assert f"DTSTART:{START:%Y%m%dT%H%M%SZ}" in raw and f"DTEND:{END:%Y%m%dT%H%M%SZ}" in raw
    assert 'LOCATION:Back room\\; 2nd floor\\, "Le Coin"\\nDoor B' in raw.replace("\r\n ", "")


def test_a_meeting_without_an_end_lasts_an_hour_at_the_accounts_address(as_user, world, client):
    account = make_account("Bakery", lng=1.05, lat=42.05, address="1 Main St")
    body = {"title": "Intro", "kind": "meeting", "due_at": START.isoformat(),
            "account_id": str(account.pk)}  # fmt: skip
    assert as_user("rep1").post("tasks", body).status_code == 201
    event = feed(as_user, client, "rep1")["Meeting: Intro"]
    assert event.decoded("dtend") - event.decoded("dtstart") == dt.timedelta(hours=1)
    assert str(event["location"]) == "1 Main St"


def test_a_meeting_reminds_its_assignee_and_each_attendee_once(world):
    start = dt.datetime(2026, 3, 3, 10, tzinfo=UTC)
    meeting = Task.objects.create(title="Review", kind=Task.Kind.MEETING, assignee=world.manager,
                                  due_at=start, ends_at=start + dt.timedelta(hours=1))  # fmt: skip
    meeting.attendees.set([world.rep1, world.rep2])
    world.rep2.is_active = False
    world.rep2.save()
    with clock.frozen(start - dt.timedelta(minutes=20)):
        assert reminders_run() == Counter(task_due=2)
        assert reminders_run() == Counter()
    told = Notification.objects.filter(kind="task_due")
    assert sorted(n.recipient.username for n in told) == ["manager", "rep1"]
    with clock.frozen(start + dt.timedelta(minutes=5)):
        assert reminders_run() == Counter(task_overdue=1)  # the assignee's alone


def page_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_manager_plans_a_meeting_from_the_accounts_quick_actions(world):
    account = make_account("Bakery", lng=1.05, lat=42.05)
    client = page_client(world.manager)
    url = f"/crm/accounts/{account.pk}/"
    assert 'name="attendees"' in client.get(url).content.decode()
    answer = client.post(url + "tasks", {
        "title": "Tasting", "kind": "meeting", "assignee": world.manager.pk,
        "due_at": "2026-06-01T09:00", "ends_at": "2026-06-01T10:30", "location": "Shop",
        "attendees": [world.rep1.pk],
    })  # fmt: skip
    assert answer.status_code == 302 and answer["Location"] == url + "#tasks"
    meeting = Task.objects.get(title="Tasting")
    assert (meeting.kind, meeting.location, meeting.account) == ("meeting", "Shop", account)
    assert list(meeting.attendees.all()) == [world.rep1]
    assert meeting.ends_at - meeting.due_at == dt.timedelta(minutes=90)
    refused = client.post(url + "tasks", {
        "title": "Backwards", "kind": "meeting", "assignee": world.manager.pk,
        "due_at": "2026-06-01T09:00", "ends_at": "2026-06-01T08:00",
    })  # fmt: skip
    assert refused.status_code == 400 and "Meeting ends:" in refused.content.decode()
    assert not Task.objects.filter(title="Backwards").exists()
