"""Issue 21, second slice: everything the account card does, offline, synced exactly once.

A rep goes offline, opens a lead's card, checks in (the time on site starts running), logs a
call, moves the lead to prospect, edits two custom fields (a number out of its range is
refused at the field first), adds a task on the account, and checks out 25 minutes later (the
page's clock is moved on, the only thing not real here). Back online one sync sends it all;
the database holds each thing once, the Tasks screen links the task to its account, and the
office's account page shows the call, the status change, the task and the time on site.
"""

from __future__ import annotations

import re

import pytest

from fieldcrm.accounts.models import Account, Activity, CustomFieldDefinition
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account

pytestmark = pytest.mark.browser


@pytest.fixture
def lead(world):
    CustomFieldDefinition.objects.create(
        key="shelves", label="Shelves", kind="number", min_value=1, max_value=40
    )
    CustomFieldDefinition.objects.create(
        key="size", label="Shop size", kind="choice", choices=["small", "large"]
    )
    return make_account("Botiga Lead", lng=1.0500, lat=42.0500, status="lead")


def test_the_card_offline_check_in_call_status_fields_task_check_out_synced_once(
    phones, laptops, lead
):
    phone = phones()
    phone.context.set_default_timeout(60_000)  # a loaded 2-core machine starts slowly
    phone.login("rep1")
    page = phone.page
    # The custom fields' definitions are kept on the phone after the first sync.
    page.wait_for_function(
        "async () => (await globalThis.fieldcrm.db.getMeta('custom_fields', [])).length === 2"
    )
    page.clock.install()
    phone.context.set_offline(True)
    page.evaluate("(hash) => { location.hash = hash; }", f"#/account/{lead.pk}")
    page.get_by_role("heading", name="Botiga Lead").wait_for()

    # Check in: a fresh fix, then the time on site runs.
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("heading", name="On site").wait_for()
    assert re.fullmatch(r"0:0\d:\d\d", page.locator("#time-on-site").inner_text())

    # A call on the timeline.
    page.locator("#log-activity summary").click()
    page.get_by_label("Call", exact=True).check()
    page.get_by_label("Subject").fill("Asked for the price list")
    page.locator("#log-activity").get_by_role("button", name="Save").click()
    page.locator("ol.timeline").get_by_text("Asked for the price list").wait_for()

    # Lead → prospect (the lifecycle's moves only).
    options = page.get_by_label("Change status").locator("option").all_inner_texts()
    assert options == ["Lead (no change)", "Prospect", "Customer", "Disqualified"]
    page.get_by_label("Change status").select_option("prospect")
    page.locator("form.status-form").get_by_role("button", name="Save").click()
    page.locator(".sub .badge").filter(has_text="Prospect").wait_for()

    # Custom fields: a number beyond its range is refused at the field, then saved.
    page.locator("#custom-fields summary").click()
    page.get_by_label("Shelves").fill("45")
    page.locator("#custom-fields").get_by_role("button", name="Save changes").click()
    assert page.locator("#cf-shelves-error").inner_text() == "At most 40."
    assert page.get_by_label("Shelves").get_attribute("aria-invalid") is not None
    page.get_by_label("Shelves").fill("12")
    page.get_by_label("Shop size").select_option("large")
    page.locator("#custom-fields").get_by_role("button", name="Save changes").click()
    page.locator("#custom-fields summary").click()
    assert page.get_by_label("Shelves").input_value() == "12"

    # A task on the account.
    page.locator("#new-task summary").click()
    page.get_by_label("Next step (task)").fill("Send the price list")
    today = page.evaluate("() => new Date().toLocaleDateString('sv')")  # the phone's YYYY-MM-DD
    page.locator("#new-task").get_by_label("Due date").fill(today)
    page.get_by_role("button", name="Add task").click()
    page.locator("section[aria-labelledby=tasks-h]").get_by_text("Send the price list").wait_for()

    # 25 minutes later, check out (the visit form: outcome, no new fix needed).
    page.clock.fast_forward("25:00")
    page.locator("#time-on-site").filter(has_text=re.compile(r"^0:2[5-9]:")).wait_for()
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Follow-up needed").check()
    page.get_by_role("button", name="Check out and save").click()
    page.wait_for_url(re.compile(r"#/account/"))
    page.get_by_role("heading", name="Botiga Lead", exact=True).wait_for()
    assert page.get_by_role("button", name="Check in").is_visible()
    phone.wait_pending(6)  # visit, call, status, custom fields, task, check-out
    assert not Visit.objects.exists() and not Task.objects.exists()

    # Online: one sync delivers everything, each once.
    phone.synced_after(lambda: phone.context.set_offline(False))
    visit = Visit.objects.get()
    assert visit.status == "done" and visit.outcome == "follow_up"
    assert visit.time_on_site is not None
    assert 25 * 60 <= visit.time_on_site.total_seconds() < 30 * 60
    lead.refresh_from_db()
    assert lead.status == Account.Status.PROSPECT
    assert lead.custom_fields == {"shelves": 12, "size": "large"}
    calls = Activity.objects.filter(account=lead, kind="call")
    assert [a.subject for a in calls] == ["Asked for the price list"]
    assert Activity.objects.filter(account=lead, kind="visit").count() == 1
    assert Activity.objects.filter(account=lead, kind="status_change").count() == 1
    task = Task.objects.get()
    assert (task.title, task.account_id, task.assignee.username) == (
        "Send the price list", lead.pk, "rep1",
    )  # fmt: skip

    # The Tasks screen links the task to its account (due today, so it is listed).
    page.get_by_role("link", name="Tasks").click()
    page.get_by_role("link", name="Botiga Lead").click()
    page.get_by_role("heading", name="Botiga Lead", exact=True).wait_for()

    # The office sees it all, once, with the time on site.
    desk = laptops("manager", f"/crm/accounts/{lead.pk}/")
    text = desk.locator("main").inner_text()
    minutes = round(visit.time_on_site.total_seconds() / 60)
    assert text.count(f"{minutes} min on site") == 2  # the visits list and the timeline
    assert text.count("Asked for the price list") == 1
    assert text.count("Send the price list") == 1


def test_a_visit_left_open_is_rtl_safe_and_offered_to_close_at_the_next_app_open(phones, lead):
    other = make_account("Kiosk Next Door", lng=1.0510, lat=42.0505, status="customer")
    phone = phones()
    phone.context.set_default_timeout(60_000)
    phone.login("rep1")
    page = phone.page
    page.evaluate("(hash) => { location.hash = hash; }", f"#/account/{lead.pk}")
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("heading", name="On site").wait_for()
    phone.wait_pending(0)
    # In Persian at 360 px the card mirrors, nothing overflows sideways, the clock reads left
    # to right and the custom-field and task forms open inside the screen.
    page.get_by_role("link", name="More").click()
    page.get_by_label("Language").select_option("fa")
    page.evaluate("(hash) => { location.hash = hash; }", f"#/account/{lead.pk}")
    page.get_by_role("heading", name="در محل").wait_for()
    assert page.evaluate("() => document.documentElement.dir") == "rtl"
    assert page.locator("#time-on-site").get_attribute("dir") == "ltr"
    for summary in ("#custom-fields summary", "#new-task summary", "#log-activity summary"):
        page.locator(summary).click()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, width
    box = page.get_by_role("link", name="ثبت خروج").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
    page.get_by_role("link", name="بیشتر").click()
    page.get_by_label("زبان").select_option("en")
    # Another account's card reminds the rep of the open visit instead of a second check-in.
    page.evaluate("(hash) => { location.hash = hash; }", f"#/account/{other.pk}")
    page.get_by_role("heading", name="Kiosk Next Door").wait_for()
    assert "still checked in at Botiga Lead" in page.locator("#open-elsewhere").inner_text()
    assert page.get_by_role("button", name="Check in").count() == 0
    # The rep puts the phone away and opens the app again later (a fresh page load).
    page.evaluate("() => { location.hash = '#/today'; }")
    page.reload()
    phone.wait_ready()
    prompt = page.get_by_role("alert").filter(has_text="A visit is still open")
    prompt.wait_for()
    assert "Botiga Lead" in prompt.inner_text()
    assert page.locator("#close-last-known").is_visible()  # the last moment the app was in use
    phone.synced_after(lambda: page.get_by_role("button", name="Close now").click())
    assert not prompt.is_visible()
    visit = Visit.objects.get()
    assert visit.status == "done" and visit.checked_out_at is not None
    assert visit.checked_out_at >= visit.checked_in_at
