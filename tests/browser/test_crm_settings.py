"""The settings pages as an admin walks them: a choice custom field made from rows (added with
the button, reordered by dragging and with the keyboard's up/down buttons), then shown as a
column of the accounts list and on the account page; a lost reason added, then a deal dropped
on the board's lost column is asked for it on its page and marked lost with it."""

from __future__ import annotations

import pytest

from fieldcrm.accounts.models import CustomFieldDefinition
from fieldcrm.accounts.services import account_update_by
from fieldcrm.deals.models import Deal, LostReason, Pipeline, Stage
from tests.factories import make_account

pytestmark = pytest.mark.browser


def test_an_admin_makes_a_choice_field_from_rows_and_reorders_them(laptops, world):
    shop = make_account("Bakery Nord", lng=1.05, status="customer")
    page = laptops("admin", "/crm/settings/")
    page.locator("#settings-pages").get_by_role("link", name="Custom fields").click()
    page.wait_for_url("**/crm/settings/fields")
    page.locator("#fields-empty").wait_for()
    form = page.locator("#field-form[data-ready]")
    form.get_by_label("Key").fill("grade")
    form.get_by_label("Label").fill("Grade")
    form.get_by_label("Kind").select_option("choice")
    assert page.locator("#cf-range").is_hidden()  # a number's inputs, not a choice's
    rows = page.locator("#cf-choices .cf-choice")
    assert rows.count() == 1
    for i, name in enumerate(("Bronze", "Silver", "Gold")):
        if i:
            page.get_by_role("button", name="Add a choice").click()
        rows.nth(i).locator("input").fill(name)
    # Gold to the top: dragged by its handle above Bronze, then Silver up with the keyboard.
    rows.nth(2).locator(".cf-handle").drag_to(rows.nth(0), target_position={"x": 5, "y": 2})
    assert [r.input_value() for r in page.locator("#cf-choices input").all()] == [
        "Gold",
        "Bronze",
        "Silver",
    ]
    page.get_by_role("textbox", name="Choice 3").focus()
    page.locator("#cf-choices .cf-choice").nth(2).locator(".cf-up").press("Enter")
    assert page.get_by_role("textbox", name="Choice 2").input_value() == "Silver"
    page.locator("#field-submit").click()
    page.get_by_text("Field “Grade” added.").wait_for()
    assert CustomFieldDefinition.objects.get().choices == ["Gold", "Silver", "Bronze"]
    assert "Gold · Silver · Bronze" in page.locator("#custom-fields").inner_text()

    # The field is a column of the list (picked in the columns form) and shows on the account.
    account_update_by(
        actor=world.admin, account_id=shop.pk, data={"custom_fields": {"grade": "Silver"}}
    )
    page.goto(page.url.replace("/crm/settings/fields", "/crm/accounts/"))
    page.locator("details.crm-columns summary").last.click()
    page.get_by_role("checkbox", name="Grade").check()
    page.locator("#crm-save-columns").click()
    page.locator("#crm-accounts th", has_text="Grade").wait_for()
    assert "Silver" in page.locator("#crm-accounts").inner_text()
    # ... and a filter with its widget: the choices as a list to pick from.
    assert page.locator("#id_cf_grade option").all_inner_texts() == ["Gold", "Silver", "Bronze"]
    page.locator("#id_cf_grade").select_option(["Gold"])
    with page.expect_navigation():
        page.locator("#crm-apply").click()
    assert page.locator("#crm-accounts").count() == 0 or "Bakery Nord" not in page.locator(
        "#crm-accounts").inner_text()  # fmt: skip
    page.locator("#id_cf_grade").select_option(["Silver", "Bronze"])
    with page.expect_navigation():
        page.locator("#crm-apply").click()
    assert "cf_grade=Silver" in page.url
    page.locator("#crm-accounts", has_text="Bakery Nord").wait_for()
    page.get_by_role("link", name="Bakery Nord").first.click()
    assert "Silver" in page.locator("#record-header, .crm-account-header").first.inner_text()


def test_an_admin_adds_a_lost_reason_and_a_deal_dropped_on_lost_takes_it(laptops, world):
    shop = make_account("Bakery Nord", lng=1.05, status="customer")
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    new = Stage.objects.create(pipeline=pipeline, name="New", position=0)
    lost = Stage.objects.create(pipeline=pipeline, name="Lost", position=1, outcome="lost")
    ovens = Deal.objects.create(account=shop, name="Ovens", pipeline=pipeline, stage=new,
                                amount=100, owner=world.rep1)  # fmt: skip
    page = laptops("admin", "/crm/settings/lost-reasons")
    page.locator("#reasons-empty").wait_for()
    page.get_by_role("textbox", name="Lost reason").fill("Too expensive")
    page.locator("#reason-submit").click()
    page.get_by_text("Lost reason added.").wait_for()
    reason = LostReason.objects.get()

    page.goto(page.url.replace("/crm/settings/lost-reasons", "/crm/deals/board/"))
    page.locator("#crm-board[data-ready]").wait_for()
    target = page.locator(f"[data-stage='{lost.pk}']")
    page.locator(f"#deal-{ovens.pk} .crm-deal-account").drag_to(target)
    page.wait_for_url(f"**/crm/deals/{ovens.pk}/?lost_stage={lost.pk}*")
    page.get_by_text("Choose why the deal was lost.").wait_for()
    assert Deal.objects.get(pk=ovens.pk).stage == new  # not lost without a reason
    page.get_by_label("Lost reason (for a lost stage)").select_option(label="Too expensive")
    page.locator("#deal-move-submit").click()
    page.locator("#deal-lost-reason").wait_for()
    assert page.locator("#deal-lost-reason").inner_text() == "Too expensive"
    ovens.refresh_from_db()
    assert ovens.stage == lost and ovens.lost_reason == reason
