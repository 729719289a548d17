"""/crm/settings/ (the index) and /crm/settings/fields (custom fields without JSON): admins
only, every refusal names its field and saves nothing, a field's kind stays while accounts
hold values, a choice in use stays, a number's range is kept on the accounts."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from fieldcrm.access import NotAllowed
from fieldcrm.accounts.models import Account, CustomFieldDefinition
from fieldcrm.core.errors import DomainError
from fieldcrm.deals.models import Deal, LostReason, Pipeline, Stage
from fieldcrm.deals.services import (
    LostReasonNeeded,
    deal_move,
    lost_reason_create,
    lost_reason_move,
    lost_reason_update,
)
from fieldcrm.users.manage_services import custom_field_create, custom_field_update
from tests.factories import make_account


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _choice_field(world, choices=("Gold", "Silver", "Bronze")):
    return custom_field_create(actor=world.admin, data={
        "key": "grade", "label": "Grade", "kind": "choice", "choices": list(choices)})  # fmt: skip


def test_a_kind_change_is_refused_while_accounts_hold_values_and_allowed_after(world):
    field = _choice_field(world)
    account = make_account("Shop", custom_fields={"grade": "Gold"})
    with pytest.raises(DomainError) as refused:
        custom_field_update(actor=world.admin, field_id=field.pk, data={"kind": "text"})
    assert refused.value.field == "kind" and "1 accounts" in refused.value.message
    field.refresh_from_db()
    assert field.kind == "choice" and field.choices == ["Gold", "Silver", "Bronze"]
    account.custom_fields = {}
    account.save()
    changed = custom_field_update(actor=world.admin, field_id=field.pk, data={"kind": "text"})
    assert changed.kind == "text" and changed.choices == []


def test_a_choice_in_use_cannot_be_removed_but_reordered_and_unused_ones_can(world):
    field = _choice_field(world)
    make_account("Shop", custom_fields={"grade": "Silver"})
    with pytest.raises(DomainError) as refused:
        custom_field_update(actor=world.admin, field_id=field.pk, data={"choices": ["Gold"]})
    assert refused.value.field == "choices" and "Silver" in refused.value.message
    kept = custom_field_update(
        actor=world.admin, field_id=field.pk, data={"choices": ["Silver", "Gold"]}
    )
    assert kept.choices == ["Silver", "Gold"]


def test_a_number_range_is_checked_on_the_field_and_on_accounts(world):
    with pytest.raises(ValidationError) as bad:
        custom_field_create(actor=world.admin, data={
            "key": "staff", "label": "Staff", "kind": "number", "min_value": 10,
            "max_value": 1})  # fmt: skip
    assert "max_value" in bad.value.message_dict
    custom_field_create(
        actor=world.admin,
        data={"key": "staff", "label": "Staff", "kind": "number", "min_value": 0, "max_value": 500},
    )
    with pytest.raises(ValidationError) as outside:
        make_account("Shop", custom_fields={"staff": 900})
    assert "at most 500" in str(outside.value)
    assert make_account("Shop", custom_fields={"staff": 12}).custom_fields == {"staff": 12}
    with pytest.raises(ValidationError) as text_range:
        custom_field_create(actor=world.admin, data={
            "key": "note", "label": "Note", "kind": "text", "min_value": 1})  # fmt: skip
    assert "min_value" in text_range.value.message_dict


@pytest.mark.parametrize("path", ["/crm/settings/", "/crm/settings/fields"])
def test_only_admins_open_the_settings_pages(world, path):
    # A manager opens the index (it lists the web forms alone), no other settings page.
    manager = _client(world.manager).get(path).status_code
    assert manager == (200 if path == "/crm/settings/" else 403)
    for persona in ("rep1", "planner"):
        assert _client(getattr(world, persona)).get(path).status_code == 403
    page = _client(world.admin).get(path)
    assert page.status_code == 200 and 'aria-current="page"' in page.content.decode()
    assert Client().get(path).status_code == 302


def test_the_index_links_every_settings_page(world):
    page = _client(world.admin).get("/crm/settings/").content.decode()
    for url in (
        "/crm/settings/fields",
        "/crm/settings/automation",
        "/crm/settings/webhooks",
        "/crm/settings/documents",
    ):
        assert f'href="{url}"' in page


def test_a_choice_field_is_added_from_rows_in_their_order_and_refusals_name_the_field(world):
    admin = _client(world.admin)
    empty = admin.post("/crm/settings/fields", {
        "key": "grade", "label": "Grade", "kind": "choice", "choices": ["", " "]})  # fmt: skip
    assert empty.status_code == 400
    assert "Choices: A choice field needs a list of choices." in empty.content.decode()
    twice = admin.post("/crm/settings/fields", {
        "key": "grade", "label": "Grade", "kind": "choice", "choices": ["A", "A"]})  # fmt: skip
    assert "Choices: Each choice may appear only once." in twice.content.decode()
    bad_key = admin.post("/crm/settings/fields", {"key": "no spaces", "label": "<b>G</b>",
                                                  "kind": "text"})  # fmt: skip
    assert bad_key.status_code == 400 and "Key: " in bad_key.content.decode()
    assert "<b>G</b>" not in bad_key.content.decode()  # escaped where it is shown again
    assert not CustomFieldDefinition.objects.exists()
    made = admin.post("/crm/settings/fields", {
        "key": "grade", "label": "Grade <i>", "kind": "choice",
        "choices": ["Silver", "", "Gold", "Bronze"], "min_value": "3"})  # fmt: skip
    assert made.status_code == 302
    field = CustomFieldDefinition.objects.get()
    assert field.choices == ["Silver", "Gold", "Bronze"] and field.min_value is None
    listed = admin.get("/crm/settings/fields").content.decode()
    assert "Grade &lt;i&gt;" in listed and "Silver · Gold · Bronze" in listed
    again = admin.post("/crm/settings/fields", {"key": "grade", "label": "G", "kind": "text"})
    assert again.status_code == 400 and "A field with this key already exists." in (
        again.content.decode()
    )


def test_the_edit_page_refuses_a_kind_change_with_values_and_saves_nothing(world):
    field = _choice_field(world)
    make_account("Shop", custom_fields={"grade": "Gold"})
    admin = _client(world.admin)
    page = admin.get(f"/crm/settings/fields/{field.pk}").content.decode()
    assert 'value="Silver"' in page and "1 account has a value for this field" in page
    refused = admin.post(f"/crm/settings/fields/{field.pk}", {
        "label": "Renamed", "kind": "number", "choices": ["Gold"]})  # fmt: skip
    assert refused.status_code == 400
    assert "Kind: 1 accounts have a value for this field" in refused.content.decode()
    field.refresh_from_db()
    assert (field.label, field.kind) == ("Grade", "choice")
    saved = admin.post(f"/crm/settings/fields/{field.pk}", {
        "label": "Renamed", "kind": "choice", "is_required": "on",
        "choices": ["Bronze", "Gold", "Silver"]})  # fmt: skip
    assert saved.status_code == 302
    field.refresh_from_db()
    assert field.label == "Renamed" and field.is_required
    assert field.choices == ["Bronze", "Gold", "Silver"]


def test_removing_a_field_asks_first(world):
    field = _choice_field(world)
    admin = _client(world.admin)
    asked = admin.post(f"/crm/settings/fields/{field.pk}/delete")
    assert asked.status_code == 302 and CustomFieldDefinition.objects.exists()
    gone = admin.post(f"/crm/settings/fields/{field.pk}/delete", {"confirm": "on"})
    assert gone.status_code == 302 and not CustomFieldDefinition.objects.exists()
    assert admin.get(f"/crm/settings/fields/{field.pk}").status_code == 404
    assert Account.objects.count() == 0


# ------------------------------------------------------------------------------ lost reasons


@pytest.fixture
def lost_setup(world):
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    open_, lost = (
        Stage.objects.create(pipeline=pipeline, name="Open", position=0),
        Stage.objects.create(pipeline=pipeline, name="Lost", position=1, outcome="lost"),
    )
    deal = Deal.objects.create(account=make_account("Shop"), name="Ovens", pipeline=pipeline,
                               stage=open_, owner=world.rep1)  # fmt: skip
    return {"deal": deal, "open": open_, "lost": lost}


def test_a_lost_move_needs_an_offered_reason_once_the_list_has_one(world, lost_setup):
    deal, lost = lost_setup["deal"], lost_setup["lost"]
    # No list kept: lost without a reason, as before.
    moved = deal_move(actor=world.manager, deal_id=deal.pk, stage_id=lost.pk)
    assert moved.lost_reason is None and moved.closed_at is not None
    deal_move(actor=world.manager, deal_id=deal.pk, stage_id=lost_setup["open"].pk)
    price = lost_reason_create(actor=world.admin, name="Price")
    retired = lost_reason_create(actor=world.admin, name="Timing")
    lost_reason_update(actor=world.admin, reason_id=retired.pk, is_active=False)
    with pytest.raises(LostReasonNeeded):
        deal_move(actor=world.manager, deal_id=deal.pk, stage_id=lost.pk)
    with pytest.raises(DomainError) as retired_one:
        deal_move(actor=world.manager, deal_id=deal.pk, stage_id=lost.pk,
                  lost_reason_id=retired.pk)  # fmt: skip
    assert retired_one.value.field == "lost_reason_id"
    assert Deal.objects.get(pk=deal.pk).stage == lost_setup["open"]  # nothing moved
    moved = deal_move(actor=world.manager, deal_id=deal.pk, stage_id=lost.pk,
                      lost_reason_id=price.pk)  # fmt: skip
    assert moved.lost_reason == price and moved.stage == lost
    reopened = deal_move(actor=world.manager, deal_id=deal.pk, stage_id=lost_setup["open"].pk)
    assert reopened.lost_reason is None


def test_lost_reasons_are_admins_only_unique_and_reordered(world):
    with pytest.raises(NotAllowed):
        lost_reason_create(actor=world.manager, name="Price")
    price = lost_reason_create(actor=world.admin, name="Price")
    budget = lost_reason_create(actor=world.admin, name="No budget")
    with pytest.raises(DomainError) as twice:
        lost_reason_create(actor=world.admin, name=" price ")
    assert twice.value.field == "name"
    lost_reason_move(actor=world.admin, reason_id=budget.pk, step=-1)
    assert list(LostReason.objects.values_list("name", flat=True)) == ["No budget", "Price"]
    lost_reason_move(actor=world.admin, reason_id=budget.pk, step=-1)  # already first
    assert list(LostReason.objects.values_list("pk", flat=True)) == [budget.pk, price.pk]


def test_the_lost_reasons_page_adds_renames_and_retires(world):
    admin = _client(world.admin)
    assert "reasons-empty" in admin.get("/crm/settings/lost-reasons").content.decode()
    refused = admin.post("/crm/settings/lost-reasons", {"name": ""})
    assert refused.status_code == 400 and "Lost reason: This field is required." in (
        refused.content.decode()
    )
    assert admin.post("/crm/settings/lost-reasons", {"name": "<b>Price</b>"}).status_code == 302
    reason = LostReason.objects.get()
    page = admin.get("/crm/settings/lost-reasons").content.decode()
    assert "&lt;b&gt;Price&lt;/b&gt;" in page and "<b>Price" not in page
    admin.post(f"/crm/settings/lost-reasons/{reason.pk}", {"do": "rename", "name": "Price"})
    admin.post(f"/crm/settings/lost-reasons/{reason.pk}", {"do": "retire"})
    reason.refresh_from_db()
    assert (reason.name, reason.is_active) == ("Price", False)
    assert (
        _client(world.manager)
        .post(f"/crm/settings/lost-reasons/{reason.pk}", {"do": "offer"})
        .status_code
        == 403
    )


def test_a_deal_dropped_on_a_lost_column_is_asked_why_on_its_page(world, lost_setup):
    deal, lost = lost_setup["deal"], lost_setup["lost"]
    price = lost_reason_create(actor=world.admin, name="Price <i>")
    rep = _client(world.rep1)
    dropped = rep.post(
        f"/crm/deals/{deal.pk}/move",
        {"stage": lost.pk, "based_on": deal.updated_at.isoformat(), "next": "/crm/deals/board/"},
    )
    assert dropped.status_code == 302
    assert dropped["Location"] == f"/crm/deals/{deal.pk}/?lost_stage={lost.pk}#deal-move"
    assert Deal.objects.get(pk=deal.pk).stage == lost_setup["open"]
    page = rep.get(dropped["Location"]).content.decode()
    assert "Choose why the deal was lost." in page
    assert f'<option value="{lost.pk}" selected>Lost</option>' in page
    assert "Price &lt;i&gt;" in page
    deal.refresh_from_db()
    marked = rep.post(f"/crm/deals/{deal.pk}/move", {
        "stage": lost.pk, "lost_reason": price.pk, "based_on": deal.updated_at.isoformat(),
        "next": f"/crm/deals/{deal.pk}/"})  # fmt: skip
    assert marked.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == lost and deal.lost_reason == price
    assert (
        'id="deal-lost-reason">Price &lt;i&gt;'
        in rep.get(f"/crm/deals/{deal.pk}/").content.decode()
    )


def test_a_deactivated_field_keeps_its_values_leaves_the_pickers_and_comes_back(world):
    from fieldcrm.accounts.exports import account_export
    from fieldcrm.accounts.schemas import AccountFilters

    field = custom_field_create(actor=world.admin, data={
        "key": "grade", "label": "Grade", "kind": "text", "is_required": True})  # fmt: skip
    shop = make_account("Shop", custom_fields={"grade": "Gold"})
    admin = _client(world.admin)
    assert 'value="cf:grade"' in admin.get("/crm/accounts/").content.decode()
    off = admin.post(f"/crm/settings/fields/{field.pk}/active", {"is_active": "0"})
    assert off.status_code == 302
    field.refresh_from_db()
    assert not field.is_active
    assert 'value="cf:grade"' not in admin.get("/crm/accounts/").content.decode()
    page = admin.get(f"/crm/accounts/{shop.pk}/").content.decode()
    assert "Gold" in page and "deactivated" in page  # kept on the record
    export = account_export(actor=world.admin, filters=AccountFilters(), fmt="csv")
    csv = b"".join(export.content).decode()
    assert "cf:grade" in csv and "Gold" in csv  # and in exports
    # No longer required: a new account without it is saved.
    assert make_account("Kiosk").custom_fields == {}
    assert "field-deactivated" in admin.get(f"/crm/settings/fields/{field.pk}").content.decode()
    admin.post(f"/crm/settings/fields/{field.pk}/active", {"is_active": "1"})
    field.refresh_from_db()
    assert field.is_active
    with pytest.raises(ValidationError):
        make_account("Stall")  # required again
    assert _client(world.manager).post(f"/crm/settings/fields/{field.pk}/active",
                                       {"is_active": "0"}).status_code == 403  # fmt: skip
