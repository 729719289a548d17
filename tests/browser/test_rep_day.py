"""Issue 14's proof: a whole planned day on the demo data, across every subsystem it touches.

The planner generates and publishes a region's plans in /planner/; each of the region's reps
logs in on a phone and every published stop opens there with Navigate and Log visit; each rep
logs the first half of the stops offline and the rest online; after the sync the planner's
page, the visits report and the manager's dashboard show exactly those stops done, none twice.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fieldcrm.accounts.models import Activity
from fieldcrm.demo import load as demo_load
from fieldcrm.manager.dashboard import week_of
from fieldcrm.plans.models import RoutePlan
from fieldcrm.territories.models import Region
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db, settings):
    """The demo data set, with each login's password `pw-<username>` like the personas'."""
    settings.FIELDCRM_ROUTING_PROVIDER = "great_circle"  # no road graph needed for the walk
    demo_load.demo_load()
    for user in User.objects.all():
        user.set_password(f"pw-{user.username}")
        user.save(update_fields=["password"])
    region = Region.objects.get(name="Andorra")
    today = timezone.localdate(timezone=ZoneInfo(region.timezone))
    # The demo reps work Monday to Friday; the walk runs on any day, so today is a working day.
    # Six stops a rep (the demo's ten, logged through the UI, cost a minute more in make test).
    for rep in User.objects.filter(role="rep"):
        if today.weekday() not in rep.working_days:
            rep.working_days = [*rep.working_days, today.weekday()]
        rep.max_visits_per_day = 6
        rep.save(update_fields=["working_days", "max_visits_per_day"])
    return region, today


def test_a_planned_day_on_the_demo_data_from_the_planner_to_the_phones_to_the_reports(
    laptops, phones, live_server, demo
):
    region, today = demo
    day_page = f"/planner/?region={region.pk}&date={today}"

    # The planner generates the region's day and publishes it.
    desk = laptops("planner", day_page, timezone_id=region.timezone)
    desk.get_by_label("Time limit (s)").fill("1")
    desk.get_by_role("button", name="Generate plans").click()
    desk.locator("[data-publish]").first.wait_for(timeout=60_000)
    desk.once("dialog", lambda dialog: dialog.accept())
    with desk.expect_navigation():
        desk.get_by_role("button", name="Publish all drafts").click()
    plans = list(
        RoutePlan.objects.filter(region=region, date=today, status="published")
        .select_related("rep")
        .order_by("rep__username")
    )
    reps = User.objects.filter(role="rep", territories__region=region).distinct()
    assert {p.rep for p in plans} == set(reps) and len(plans) == 3
    visits_before = Visit.objects.count()

    logged: dict[int, list[str]] = {}
    for plan in plans:
        stops = list(plan.stops.select_related("account", "visit").order_by("sequence"))
        assert stops and all(s.visit_id for s in stops)
        phone = phones(timezone_id=region.timezone)
        phone.login(plan.rep.username)
        page = phone.page
        # Every published stop opens on the phone, with Navigate and Log visit.
        for stop in stops:
            name = stop.account.name
            assert page.get_by_role("link", name=f"Navigate to {name}", exact=True).count() == 1
            assert page.get_by_role("link", name=f"Log visit at {name}", exact=True).count() == 1
        offline, online = stops[: len(stops) // 2], stops[len(stops) // 2 :]
        phone.context.set_offline(True)
        page.locator("#net-status", has_text="Offline").wait_for()
        for stop in offline:
            phone.log_visit(stop.account.name, "Order taken", f"offline at #{stop.sequence}")
        phone.wait_pending(len(offline))
        # Nothing has left the phone yet.
        assert not Visit.objects.filter(pk__in=[s.visit_id for s in offline], status="done")
        phone.synced_after(lambda phone=phone: phone.context.set_offline(False))
        for stop in online:
            phone.synced_after(
                lambda phone=phone, stop=stop: phone.log_visit(
                    stop.account.name, "Order taken", f"online at #{stop.sequence}"
                )
            )
        logged[plan.pk] = [s.visit_id for s in stops]

    # The server holds each stop's own visit done once: no second visit, one activity each.
    assert Visit.objects.count() == visits_before
    for plan in plans:
        visits = Visit.objects.filter(pk__in=logged[plan.pk])
        assert set(visits.values_list("status", flat=True)) == {"done"}
        assert Activity.objects.filter(visit__in=visits).count() == len(logged[plan.pk])
        notes = sorted(visits.values_list("notes", flat=True))
        assert len([n for n in notes if n.startswith("offline")]) == len(logged[plan.pk]) // 2

    # The planner's page: each published plan shows all of its stops done.
    desk.goto(f"{live_server.url}{day_page}")
    for plan in plans:
        n = len(logged[plan.pk])
        section = desk.locator(f"section[data-plan='{plan.pk}']")
        assert section.locator("[data-done-count]").inner_text() == f"{n} of {n} done"
        assert section.locator("td.stop-done").count() == n

    # The manager: planned versus done in the visits report and on the dashboard.
    manager = laptops("manager", "/manager/", timezone_id=region.timezone)
    report = manager.request.get(
        f"{live_server.url}/api/v1/reports/visits?date_from={today}&date_to={today}"
    ).json()
    by_rep = {r["rep_id"]: r for r in report["rows"]}
    for plan in plans:
        n = len(logged[plan.pk])
        row = by_rep[plan.rep_id]
        assert (row["count"], row["planned"], row["planned_done"]) == (n, n, n)
    days = week_of(actor=User.objects.get(username="manager"))
    if today in days:  # the dashboard shows the manager's week (their region's time zone)
        for plan in plans:
            n = len(logged[plan.pk])
            head = manager.locator("th", has_text=re.compile(rf"^{plan.rep.display_name}$"))
            cell = manager.locator("tr", has=head).locator("td").nth(days.index(today))
            assert cell.locator(".cell-note").inner_text() == f"{n} of {n} planned done"
