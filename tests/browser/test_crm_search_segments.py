"""Search, segments and bulk changes in Chromium (issue 16): a manager presses Ctrl+K, types a
customer's name without its diacritics and opens it; saves a filter as a segment and reopens
it through ?segment=; ticks three accounts and reassigns them with a preview, then undoes it;
adds a tag to two of them and undoes that.
Under the Content-Security-Policy, no page error."""

from __future__ import annotations

import pytest

from fieldcrm.accounts.models import Account, Activity, Tag
from fieldcrm.crm.models import Segment
from tests.factories import make_account

pytestmark = pytest.mark.browser


@pytest.fixture
def accounts(world):
    return [
        make_account("Cửa hàng Nguyễn Văn An", lng=1.05, status="customer", owner=world.rep1),
        make_account("Tiệm Trần Bích", lng=1.06, status="customer"),
        make_account("Quán Lê Đức", lng=1.07, status="customer"),
        make_account("Kiosk Lead", lng=1.15, status="lead"),
    ]


def rows(page) -> list[str]:
    return page.locator("#crm-accounts tbody th a").all_inner_texts()


def test_a_manager_searches_saves_a_segment_and_bulk_reassigns_with_undo(laptops, world, accounts):
    page = laptops("manager", "/crm/accounts/")
    page.locator("#crm-search[data-ready]").wait_for(state="attached")
    page.keyboard.press("Control+k")
    palette = page.locator("#crm-palette")
    palette.locator("#crm-palette-q").fill("nguyen van")
    option = palette.get_by_role("option", name="Cửa hàng Nguyễn Văn An")
    option.wait_for()
    assert palette.locator("h3").all_inner_texts() == ["Accounts"]
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/crm/accounts/{accounts[0].pk}/")
    page.locator("#account-name").wait_for()

    page.goto(page.url.split("/crm/")[0] + "/crm/accounts/")
    filters = page.locator("#crm-filters")
    filters.get_by_label("Status", exact=True).select_option("customer")
    page.locator("#crm-apply").click()
    page.wait_for_url("**status=customer**")
    page.locator("#crm-save-segment summary").click()
    page.get_by_label("Segment name").fill("Customers North")
    page.get_by_label("Share with my team").check()
    page.locator("#crm-segment-save").click()
    page.get_by_text("Segment saved.").wait_for()
    segment = Segment.objects.get()
    assert segment.is_shared and segment.query == {"status": ["customer"]}
    page.goto(page.url.split("/crm/")[0] + "/crm/accounts/")
    assert len(rows(page)) == 4
    page.locator(".crm-segments").get_by_role("link", name="Customers North").click()
    page.wait_for_url(f"**?segment={segment.pk}")
    customers = ["Cửa hàng Nguyễn Văn An", "Quán Lê Đức", "Tiệm Trần Bích"]
    assert rows(page) == customers

    for name in customers:
        page.get_by_label(f"Select {name}").check()
    page.locator("#crm-bulk").get_by_label("Change").select_option(label="rep2")
    page.locator("#crm-bulk-preview-button").click()
    preview = page.locator("#crm-bulk-changes")
    preview.wait_for()
    assert all(name in preview.inner_text() for name in customers)
    assert not Account.objects.filter(owner=world.rep2).exists()  # a preview changes nothing
    page.locator("#crm-bulk-apply").click()
    page.get_by_text("on 3 accounts").first.wait_for()
    assert Account.objects.filter(owner=world.rep2).count() == 3
    assert Activity.objects.filter(kind="owner_change", actor=world.manager).count() == 3
    page.locator("#crm-bulk-undo").click()
    page.get_by_text("Undone: 3 accounts put back").wait_for()
    assert not Account.objects.filter(owner=world.rep2).exists()
    assert Account.objects.get(pk=accounts[0].pk).owner == world.rep1
    assert page.locator("#crm-bulk-notice").count() == 0

    Tag.objects.create(name="vip")
    page.reload()
    for name in customers[:2]:
        page.get_by_label(f"Select {name}").check()
    page.locator("#crm-bulk").get_by_label("Change").select_option("tags:add:vip")
    page.locator("#crm-bulk-preview-button").click()
    page.locator("#crm-bulk-changes").wait_for()
    page.locator("#crm-bulk-apply").click()
    page.get_by_text("Tags: add vip on 2 accounts.").first.wait_for()
    assert set(Account.objects.filter(tags__name="vip").values_list("name", flat=True)) == set(
        customers[:2]
    )
    page.locator("#crm-bulk-undo").click()
    page.get_by_text("Undone: 2 accounts put back").wait_for()
    assert not Account.objects.filter(tags__name="vip").exists()
