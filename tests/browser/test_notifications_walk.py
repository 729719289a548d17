"""A task comes due, the scheduler runs, the bell says 1 on a page and on the phone; opening
it goes to the record and reads it, on the phone and then on the server."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from fieldcrm.notifications import clock
from fieldcrm.notifications.models import Notification
from fieldcrm.tasks.models import Task

pytestmark = pytest.mark.browser


def test_a_due_task_rings_the_bell_on_the_page_and_the_phone_and_opens_its_record(phones, world):
    # The scheduler's clock at 14:00 today (after the morning digests), the task due at 13:00.
    now = timezone.now().replace(hour=14, minute=0, second=0, microsecond=0)
    Task.objects.create(title="Call Anna", assignee=world.rep1, due_at=now - dt.timedelta(hours=1))
    phone = phones()
    phone.login("rep1")
    page = phone.page
    bell = page.locator("#bell")
    assert bell.get_attribute("data-unread") == "0"

    with clock.frozen(now):
        call_command("run_worker", "--once")  # the item is already due: one run makes it
    assert Notification.objects.get(recipient=world.rep1).kind == "task_overdue"

    office = phone.context.new_page()  # the same person on a server-rendered page
    office.goto(f"{phone.base}/notifications/")
    assert office.locator("#bell-count").inner_text() == "1"
    assert office.get_by_role("link", name="Overdue: Call Anna").is_visible()

    phone.synced_after(phone.sync_now)
    page.wait_for_function("() => document.getElementById('bell').dataset.unread === '1'")
    assert page.locator("#bell-count").inner_text() == "1"
    bell.click()
    page.wait_for_url("**/app/#/notifications")
    item = page.get_by_role("list", name="Notifications").get_by_role("link")
    assert "Overdue: Call Anna" in item.inner_text()
    phone.synced_after(item.click)
    page.wait_for_url("**/app/#/tasks")  # its record: the rep's tasks
    page.get_by_role("heading", name="Tasks").wait_for()
    assert page.locator("li.task", has_text="Call Anna").is_visible()
    assert bell.get_attribute("data-unread") == "0"
    assert Notification.objects.get(recipient=world.rep1).read_at is not None

    office.reload()
    assert office.locator("#bell-count").inner_text() == "0"
    office.close()
