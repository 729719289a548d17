"""The server-rendered bell and list: one's own count, opening reads and goes to the record."""

import datetime as dt
import uuid

from django.test import Client

from fieldcrm.notifications.models import Notification, NotificationKind
from fieldcrm.notifications.selectors import notification_settings_get, preference_channels
from fieldcrm.notifications.services import notification_create
from tests.fieldcrm.notifications.test_notifications_api import notify


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_bell_on_a_page_counts_the_users_unread_notifications(world):
    notify(world.manager, title="<script>alert(1)</script>")
    notify(world.rep1)
    page = _client(world.manager).get("/manager/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="bell-count" class="bell-count">1<' in html
    listed = _client(world.manager).get("/notifications/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed and "<script>alert" not in listed


def test_opening_a_notification_marks_it_read_and_goes_to_its_record(world):
    mine, theirs = notify(world.rep1), notify(world.rep2)
    client = _client(world.rep1)
    opened = client.get(f"/notifications/{mine.pk}/open")
    assert opened.status_code == 302 and opened["Location"] == "/app/#/tasks"  # a rep: the phone
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert client.get(f"/notifications/{theirs.pk}/open").status_code == 404
    assert client.get(f"/notifications/{uuid.UUID(int=1)}/open").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_office_opens_a_notification_on_the_records_workspace_page(world):
    from tests.factories import make_account

    task, account = notify(world.manager), make_account("Corner Shop")
    on_account = notification_create(recipient=world.manager, kind="task_due",
                                     params={"title": "Visit", "due_at": "2026-03-03T09:00:00Z"},
                                     record=("account", account.pk))  # fmt: skip
    client = _client(world.manager)
    assert client.get(f"/notifications/{task.pk}/open")["Location"] == "/crm/tasks/"
    opened = client.get(f"/notifications/{on_account.pk}/open")
    assert opened["Location"] == f"/crm/accounts/{account.pk}/"


def test_mark_all_read_is_a_post(world):
    notify(world.rep1)
    client = _client(world.rep1)
    assert client.get("/notifications/read-all").status_code == 405
    assert client.post("/notifications/read-all").status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True, recipient=world.rep1).exists()
    assert Client().get("/notifications/").status_code == 302  # to the login


def _settings_form(**changes):
    form = {"language": "en", "quiet_start": "", "quiet_end": "", "lead_minutes": "30"}
    form.update({f"channel_{k}": "in_app" for k in NotificationKind.values})
    form.update(changes)
    return form


def test_the_settings_page_saves_channels_and_quiet_hours_and_names_bad_fields(world):
    client = _client(world.rep1)
    page = client.get("/notifications/settings")
    assert page.status_code == 200 and b'name="channel_task_due"' in page.content
    saved = client.post(
        "/notifications/settings",
        _settings_form(channel_task_due="email", quiet_start="21:00", quiet_end="07:00"),
    )
    assert saved.status_code == 200 and b'id="settings-saved"' in saved.content
    assert preference_channels(user=world.rep1)["task_due"] == "email"
    assert notification_settings_get(user=world.rep1).quiet_end == dt.time(7)
    bad = client.post("/notifications/settings", _settings_form(quiet_start="22:00"))
    assert bad.status_code == 200 and b'id="settings-saved"' not in bad.content
    assert "Quiet hours need both a start and an end." in bad.content.decode()


def test_the_settings_page_makes_shows_once_and_stops_a_calendar_address(world):
    client = _client(world.rep1)
    made = client.post("/notifications/calendar", {"action": "create"}).content.decode()
    path = "/calendar/" + made.split("/calendar/", 1)[1].split(".ics", 1)[0] + ".ics"
    assert client.get(path).status_code == 200
    assert "/calendar/" not in client.get("/notifications/settings").content.decode()
    client.post("/notifications/calendar", {"action": "revoke"})
    assert client.get(path).status_code == 404
