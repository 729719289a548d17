"""The workspace in Chromium (issue 16): a manager opens the accounts list from the navigation,
filters it, opens an account, logs a call and a note, gives a rep a task, and sees them on the
timeline and in the tasks; a rep sees only their scope in the same pages (an account of
another territory is the styled 404). Plain forms under the Content-Security-Policy: no page
error, nothing blocked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fieldcrm.accounts.models import Activity
from fieldcrm.tasks.models import Task
from tests.factories import make_account

pytestmark = pytest.mark.browser


@pytest.fixture
def accounts(world):
    return {
        "bakery": make_account("Bakery Nord", lng=1.05, status="customer", owner=world.rep1),
        "kiosk": make_account("Kiosk Lead", lng=1.06, status="lead"),
        "bar": make_account("Bar Oest", lng=1.15, status="customer", owner=world.rep2),
    }


def rows(page) -> list[str]:
    return page.locator("#crm-accounts tbody th a").all_inner_texts()


def test_a_manager_filters_opens_an_account_logs_and_gives_a_rep_a_task(laptops, world, accounts):
    page = laptops("manager", "/manager/")
    page.locator("header.site-header nav").get_by_role("link", name="Accounts").click()
    page.wait_for_url("**/crm/accounts/")
    assert rows(page) == ["Bakery Nord", "Bar Oest", "Kiosk Lead"]
    filters = page.locator("#crm-filters")
    filters.get_by_label("Status", exact=True).select_option("customer")
    filters.get_by_label("Sort by").select_option("name")
    filters.get_by_label("Order").select_option("desc")
    page.locator("#crm-apply").click()
    page.wait_for_url("**status=customer**")
    assert rows(page) == ["Bar Oest", "Bakery Nord"]
    page.get_by_role("link", name="Bakery Nord").click()
    page.locator("#account-name").wait_for()
    assert page.locator("#account-header").inner_text().count("Customer") == 1

    log = page.locator("#log-form")
    log.get_by_label("Kind").select_option("call")
    log.get_by_label("Subject").fill("Asked about the new ovens")
    log.locator("#log-submit").click()
    page.get_by_text("Logged on the timeline.").wait_for()
    log = page.locator("#log-form")
    log.get_by_label("Kind").select_option("note")
    log.get_by_label("Details").fill("Prefers visits before ten")
    log.locator("#log-submit").click()
    page.get_by_text("Logged on the timeline.").wait_for()

    task = page.locator("#task-form")
    task.get_by_label("Title").fill("Send the oven catalogue")
    task.get_by_label("For").select_option(label="rep1")
    task.locator("#task-submit").click()
    page.get_by_text("Task added.").wait_for()

    timeline = page.locator("#timeline-list").inner_text()
    assert "Asked about the new ovens" in timeline and "Prefers visits before ten" in timeline
    assert "Send the oven catalogue" in page.locator("#task-list").inner_text()
    assert Task.objects.get(title="Send the oven catalogue").assignee == world.rep1
    assert Activity.objects.filter(actor=world.manager).count() == 2

    # Only calls: the note leaves the timeline.
    page.locator("#timeline input[value=call]").check()
    page.locator("#timeline-filter").click()
    page.wait_for_url("**kind=call**")
    timeline = page.locator("#timeline-list").inner_text()
    assert "Asked about the new ovens" in timeline and "Prefers visits before ten" not in timeline

    # A bad input is named and nothing is saved.
    page.locator("#log-form").get_by_label("Kind").select_option("meeting")
    page.locator("#log-submit").click()
    page.locator("#log-form .crm-form-errors").wait_for()
    assert "Subject:" in page.locator("#log-form .crm-form-errors").inner_text()
    assert Activity.objects.filter(actor=world.manager).count() == 2


def test_a_rep_sees_only_their_scope(laptops, world, accounts):
    page = laptops("rep1", "/crm/accounts/")
    assert rows(page) == ["Bakery Nord", "Kiosk Lead"]
    page.get_by_role("link", name="Bakery Nord").click()
    page.locator("#account-name").wait_for()
    assert page.locator("#log-form").count() == 1  # their own account: they may log
    answer = page.goto(page.url.split("/crm/")[0] + f"/crm/accounts/{accounts['bar'].pk}/")
    assert answer.status == 404
    assert "Bar Oest" not in page.content()
    page.get_by_role("heading", name="Page not found").wait_for()


def test_a_rep_completes_a_task_from_the_tasks_page(laptops, world, accounts):
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    Task.objects.create(title="Call the bakery", account=accounts["bakery"], assignee=world.rep1,
                        created_by=world.manager, due_at=an_hour_ago)  # fmt: skip
    Task.objects.create(title="Not yours", account=accounts["bar"], assignee=world.rep2)
    page = laptops("rep1", "/crm/accounts/")
    page.locator("header.site-header nav").get_by_role("link", name="Tasks").click()
    page.wait_for_url("**/crm/tasks/")
    overdue = page.locator("#bucket-overdue")
    assert "Call the bakery" in overdue.inner_text() and "Not yours" not in page.content()
    overdue.get_by_role("link", name="Bakery Nord").wait_for()  # linked to its record
    overdue.locator("button.task-complete").click()
    page.get_by_text("Task done.").wait_for()
    assert Task.objects.get(title="Call the bakery").done_at is not None
    page.locator("#crm-empty").wait_for()


def test_a_manager_drags_a_deal_across_the_board_and_a_stale_card_is_refused(laptops, world):
    from fieldcrm.deals.models import Deal, Pipeline, Stage
    from fieldcrm.deals.services import deal_move

    shop = make_account("Bakery Nord", lng=1.05, status="customer")
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    qualify, proposal, won = (
        Stage.objects.create(pipeline=pipeline, name=n, position=i, outcome=o)
        for i, (n, o) in enumerate((("Qualify", "open"), ("Proposal", "open"), ("Won", "won")))
    )
    ovens = Deal.objects.create(account=shop, name="Ovens", pipeline=pipeline, stage=qualify,
                                amount=100, currency="EUR")  # fmt: skip
    flour = Deal.objects.create(account=shop, name="Flour", pipeline=pipeline, stage=qualify,
                                amount=7, currency="SEK")  # fmt: skip
    page = laptops("manager", "/crm/deals/board/")
    page.wait_for_function("() => document.getElementById('crm-board').dataset.ready === '1'")
    target = page.locator(f'.crm-board-cards[data-stage="{proposal.pk}"]')
    with page.expect_navigation():
        page.locator(f"#deal-{ovens.pk} .crm-deal-account").drag_to(target)
    page.get_by_text("Ovens moved to Proposal.").wait_for()
    assert target.locator(f"#deal-{ovens.pk}").count() == 1
    ovens.refresh_from_db()
    assert ovens.stage == proposal
    assert (
        "100.00 EUR" in page.locator(f"section[aria-labelledby=stage-{proposal.pk}]").inner_text()
    )

    # Someone else wins Flour meanwhile: this board's card is stale and is refused.
    page.wait_for_function("() => document.getElementById('crm-board').dataset.ready === '1'")
    deal_move(actor=world.admin, deal_id=flour.pk, stage_id=won.pk)
    with page.expect_navigation():
        page.locator(f"#deal-{flour.pk} .crm-deal-account").drag_to(target)
    page.get_by_text("Flour changed meanwhile and was not moved: it is now in Won.").wait_for()
    won_column = page.locator(f'.crm-board-cards[data-stage="{won.pk}"]')
    assert won_column.locator(f"#deal-{flour.pk}.changed").count() == 1
    flour.refresh_from_db()
    assert flour.stage == won

    # The forecast: Ovens is rep1's, expected in March; narrowed to rep1 and March.
    Deal.objects.filter(pk=ovens.pk).update(owner=world.rep1, expected_close_on="2027-03-20")
    page.reload()
    page.locator("#board-owner").select_option(str(world.rep1.pk))
    page.locator("#board-close_month").fill("2027-03")
    with page.expect_navigation():
        page.locator("#board-apply").click()
    page.locator("#board-filtered").wait_for()
    assert page.locator(f"#deal-{ovens.pk}").count() == 1
    assert page.locator(f"#deal-{flour.pk}").count() == 0
    forecast = page.locator("#forecast-table").inner_text()
    assert "March 2027" in forecast and "100.00" in forecast and "10.00" in forecast
    assert "SEK" not in forecast


def test_a_manager_sees_a_duplicate_compares_and_merges_it(laptops, world):
    keep = make_account("Bakery Nord", lng=1.05, lat=42.05, status="customer", owner=world.rep1,
                        phone="+376 812 345")  # fmt: skip
    gone = make_account("Nord Bakery", lng=1.0502, lat=42.0501, status="lead",
                        email="orders@bakery-nord.ad")  # fmt: skip
    Task.objects.create(title="Call about ovens", account=gone, assignee=world.rep1)
    page = laptops("manager", f"/crm/accounts/{keep.pk}/")
    duplicates = page.locator("#duplicates")
    assert "similar name nearby" in duplicates.inner_text()
    duplicates.get_by_role("link", name="Compare and merge").click()
    page.wait_for_url(f"**/merge/{gone.pk}")
    form = page.locator("#merge-form")
    form.get_by_label("orders@bakery-nord.ad").check()
    form.get_by_role("button", name="Merge").click()
    page.wait_for_url(f"**/crm/accounts/{keep.pk}/")
    page.get_by_text("“Nord Bakery” was merged into this account.").wait_for()
    header = page.locator("#account-header").inner_text()
    assert "orders@bakery-nord.ad" in header and "Customer" in header
    assert page.get_by_text("Call about ovens").count() >= 1  # the task moved with it
    assert page.locator("#duplicates").count() == 0
    assert "Merged “Nord Bakery” into this account" in page.locator("body").inner_text()
