"""A rep opens More -> Notification settings on the phone, turns the daily digest's e-mail off
and sets quiet hours, a reminder lead time and the language of its messages, saves: the
server keeps it and the workspace page shows the same choice;
half a quiet-hours pair is refused next to its field; offline the screen says it needs a
connection (the last loaded values shown read-only)."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldcrm.notifications.models import NotificationPreference, NotificationSettings

pytestmark = pytest.mark.browser


def test_a_rep_sets_channels_and_quiet_hours_on_the_phone(phones, world):
    phone = phones()
    phone.login("rep1")
    page = phone.page

    page.evaluate("() => { location.hash = '#/more'; }")
    page.get_by_role("link", name="Notification settings").click()
    page.wait_for_url("**/app/#/notification-settings")
    page.get_by_role("heading", name="Notification settings").wait_for()
    digest = page.get_by_label("Daily digest")
    assert digest.input_value() == "email"  # the digest's default

    digest.select_option("in_app")
    page.get_by_label("Quiet from").fill("21:30")
    page.get_by_label("Quiet until").fill("07:00")
    page.get_by_label("Remind me before a timed task (minutes)").fill("45")
    page.get_by_label("Language of e-mails and pushes").select_option("vi")
    page.get_by_role("button", name="Save changes").click()
    page.locator("#toast", has_text="Notification settings saved.").wait_for()
    pref = NotificationPreference.objects.get(user=world.rep1, kind="daily_digest")
    assert pref.channel == "in_app"
    kept = NotificationSettings.objects.get(user=world.rep1)
    assert (kept.quiet_start, kept.quiet_end) == (dt.time(21, 30), dt.time(7, 0))
    assert (kept.lead_minutes, kept.language) == (45, "vi")

    # More than a week ahead: refused next to its field, nothing saved.
    page.get_by_label("Remind me before a timed task (minutes)").fill("99999")
    page.get_by_role("button", name="Save changes").click()
    page.locator("#lead_minutes-error").wait_for()
    kept.refresh_from_db()
    assert kept.lead_minutes == 45
    page.get_by_label("Remind me before a timed task (minutes)").fill("45")

    # Half a pair: the server's message next to the field, nothing saved.
    phone.allowed_errors.append(r"status of 422 .*notifications/settings")  # the refused save
    page.get_by_label("Task due", exact=True).select_option("off")
    page.get_by_label("Quiet until").fill("")
    page.get_by_role("button", name="Save changes").click()
    error = page.locator("#quiet_end-error")
    error.wait_for()
    assert error.inner_text() == "Quiet hours need both a start and an end."
    assert page.locator("#quiet_start-error").is_hidden()
    kept.refresh_from_db()
    assert kept.quiet_end == dt.time(7, 0)
    assert not NotificationPreference.objects.filter(
        user=world.rep1, kind="task_due", channel="off"
    ).exists()

    # The workspace's settings page, as the same person: the same choice.
    office = phone.context.new_page()
    office.goto(f"{phone.base}/notifications/settings")
    assert office.locator("#id_channel_daily_digest").input_value() == "in_app"
    assert office.locator("#id_quiet_start").input_value().startswith("21:30")
    office.close()

    # Offline: it needs a connection; the last values loaded are shown, read-only.
    phone.context.set_offline(True)
    page.evaluate("() => { location.hash = '#/more'; }")
    page.get_by_role("link", name="Notification settings").click()
    note = page.locator("#notification-settings-offline")
    note.wait_for()
    assert "need a connection" in note.inner_text()
    assert page.get_by_label("Daily digest").input_value() == "in_app"
    assert page.get_by_label("Daily digest").is_disabled()
    assert page.get_by_role("button", name="Save changes").is_disabled()
    phone.context.set_offline(False)
