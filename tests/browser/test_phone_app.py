"""The rep's phone app in a real browser: online, offline, lost answers, two reps at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fieldcrm.accounts.models import Account
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account

pytestmark = pytest.mark.browser


def test_rep_logs_a_visit_online_and_it_is_on_the_server(phones, route_today, world):
    phone = phones()
    phone.login("rep1")
    page = phone.page
    # Installable: Chromium finds nothing missing (manifest, icons, worker, start URL).
    cdp = phone.context.new_cdp_session(page)
    # (Playwright's contexts are off-the-record, which Chromium reports as "in-incognito".)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
    stops = page.get_by_role("list", name="Today's stops").get_by_role("listitem")
    assert [s.get_by_role("link").first.inner_text() for s in stops.all()] == [
        "Bakery Nord",
        "Café Sud",
        "Kiosk Est",
    ]
    assert "ETA" in stops.first.inner_text()
    # The route map: Leaflet from our static files, no tiles configured in tests.
    page.get_by_role("region", name="Map of today's route").and_(
        page.locator(".leaflet-container")
    ).wait_for()
    assert (
        stops.first.get_by_role("link", name="Navigate to Bakery Nord")
        .get_attribute("href")
        .startswith("geo:42.05,1.05")
    )

    page.get_by_role("link", name="Log visit at Bakery Nord").click()
    status = page.locator("#checkin-status.fix-ok")
    status.wait_for()
    assert "from the account" in status.inner_text() and "±" in status.inner_text()
    page.get_by_label("Order taken").check()
    page.get_by_label("Notes").fill("Big order for the weekend")
    page.get_by_label("Next step (task)").fill("Call about delivery")
    phone.synced_after(page.get_by_role("button", name="Save visit").click)

    logged = Visit.objects.get(status="done")
    assert (logged.account.name, logged.outcome, logged.notes) == (
        "Bakery Nord",
        "order",
        "Big order for the weekend",
    )
    assert logged.distance_m is not None and logged.distance_m < 50
    assert Task.objects.get(title="Call about delivery").assignee == world.rep1
    # The stop shows as done, and no "Log visit" is offered for it any more.
    page.get_by_role("list", name="Today's stops").get_by_text("Done").first.wait_for()
    assert page.get_by_role("link", name="Log visit at Bakery Nord").count() == 0


def test_offline_day_three_visits_and_a_prospect_sync_exactly_once(phones, route_today, world):
    phone = phones()
    phone.login("rep1")
    page = phone.page
    before = Visit.objects.count()

    phone.context.set_offline(True)
    page.locator("#net-status", has_text="Offline").wait_for()
    for shop, outcome in zip(
        route_today, ["Order taken", "No interest", "Found closed"], strict=True
    ):
        phone.log_visit(shop.name, outcome, f"offline notes {shop.name}")
    page.get_by_role("link", name="Prospect").click()
    page.locator("#prospect-location", has_text="Location:").wait_for()
    page.get_by_label("Name").fill("Corner Shop")
    page.get_by_label("Phone").fill("+376 555 123")
    page.get_by_role("button", name="Save prospect").click()
    page.get_by_role("heading", name="Corner Shop").wait_for()
    phone.wait_pending(4)

    page.reload()  # offline: the worker serves the shell, IndexedDB the data
    phone.wait_ready()
    assert phone.pending() == 4
    assert page.locator("#net-status").inner_text() == "Offline"
    page.get_by_role("link", name="Today").click()
    page.locator(".map.leaflet-container").wait_for()  # Leaflet comes from the precache
    assert Visit.objects.count() == before  # nothing left the phone

    phone.synced_after(lambda: phone.context.set_offline(False))
    done = Visit.objects.filter(status="done")
    # Each log completed its stop's planned visit: no second visit (issue 14).
    assert done.count() == 3 and Visit.objects.count() == before
    assert set(done.values_list("route_sequence", flat=True)) == {1, 2, 3}
    assert sorted(v.notes for v in done) == sorted(f"offline notes {s.name}" for s in route_today)
    prospect = Account.objects.get(name="Corner Shop")
    assert (prospect.status, prospect.owner, prospect.phone) == (
        "prospect",
        world.rep1,
        "+376 555 123",
    )
    assert prospect.location is not None
    assert phone.pending() == 0


def test_a_push_whose_answer_is_lost_is_retried_without_duplicates(phones, route_today, world):
    phone = phones()
    phone.login("rep1")
    page = phone.page
    phone.allowed_errors.append(r"Failed to load resource: net::ERR_FAILED")
    lost = []

    def lose_the_answer(route):
        route.fetch()  # the server handles the push...
        lost.append(route.request.post_data_json)
        route.abort()  # ...and the phone never hears back

    page.route("**/api/v1/sync/push", lose_the_answer)
    phone.log_visit("Café Sud", "Follow-up needed", "answer lost")
    page.wait_for_function(
        "() => document.getElementById('net-status').textContent.includes('Retrying')"
    )
    assert len(lost) == 1 and phone.pending() == 1
    assert Visit.objects.filter(status="done").count() == 1  # it did arrive

    page.unroute("**/api/v1/sync/push")
    phone.synced_after(phone.sync_now)
    assert Visit.objects.filter(status="done").count() == 1
    assert Visit.objects.filter(notes="answer lost").count() == 1


def test_two_reps_edit_a_shared_account_merge_and_conflict(phones, world):
    # Owned by rep2, standing in rep1's territory: both phones have it.
    make_account("Shared Shop", lng=1.08, lat=42.05, status="customer", owner=world.rep2)
    one, two = phones(), phones()
    one.login("rep1")
    two.login("rep2")

    def edit(phone, label, value):
        page = phone.page
        page.goto(f"{phone.base}/app/#/nearby")
        page.get_by_role("button", name="Find accounts near me").click()
        page.get_by_role("link", name="Shared Shop").click()
        page.get_by_text("Edit details").click()
        page.get_by_label(label).fill(value)
        phone.synced_after(page.get_by_role("button", name="Save changes").click)

    # Different fields, edited on both phones from the same version: both survive.
    edit(one, "Phone", "+376 111")
    edit(two, "Address", "Carrer Major 1")
    shop = Account.objects.get(name="Shared Shop")
    assert (shop.phone, shop.address) == ("+376 111", "Carrer Major 1")

    # Both phones catch up; then both edit the email, rep1 first.
    one.synced_after(one.sync_now)
    two.synced_after(two.sync_now)
    edit(one, "Email", "one@example.com")
    edit(two, "Email", "two@example.com")
    shop.refresh_from_db()
    assert shop.email == "one@example.com"  # the first to arrive is kept
    # rep2 sees the conflict on the account card, with both values, and the kept one in the form.
    alert = two.page.get_by_role("alert")
    alert.wait_for()
    assert "one@example.com" in alert.inner_text() and "two@example.com" in alert.inner_text()
    assert two.page.get_by_label("Email").input_value() == "one@example.com"
    alert.get_by_role("button", name="Dismiss").click()
    two.page.get_by_role("alert").wait_for(state="detached")


def test_tasks_complete_with_one_tap_and_persian_turns_the_app_right_to_left(phones, world):
    shop = make_account("Task Shop", lng=1.05, lat=42.05)
    now = timezone.now()
    Task.objects.create(title="Call the owner", assignee=world.rep1, account=shop, due_at=now)
    Task.objects.create(
        title="Send the price list", assignee=world.rep1, due_at=now - dt.timedelta(days=2)
    )
    phone = phones()
    phone.login("rep1")
    page = phone.page
    page.get_by_role("link", name="Tasks").click()
    overdue = page.get_by_role("list", name="Overdue")
    assert "Send the price list" in overdue.inner_text()
    phone.synced_after(page.get_by_role("button", name="Done: Call the owner").click)
    assert Task.objects.get(title="Call the owner").done_at is not None
    assert page.get_by_role("button", name="Done: Call the owner").count() == 0

    page.get_by_role("link", name="More").click()
    page.get_by_label("Language").select_option("fa")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
        "fa",
        "rtl",
    ]
    page.get_by_role("link", name="کارها").click()
    page.get_by_role("heading", name="کارها").wait_for()
