"""The rules under the workspace, run on both databases: status and owner changes land on the
timeline from every path that makes them (API, phone, import, admin, reassignment), by whom;
history kinds cannot be logged by hand; a task may be about an account, a contact or a deal;
the accounts table's keyset pages; the remembered columns."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.accounts.services import accounts_reassign_owner, activity_create
from fieldcrm.core.errors import DomainError
from fieldcrm.crm import selectors, services
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.deals.services import deal_move
from fieldcrm.tasks.services import task_create
from tests.factories import make_account


def changes(account):
    return [
        (a.kind, a.actor.username if a.actor else None, a.details)
        for a in Activity.objects.filter(account=account)
        .exclude(kind="note")
        .order_by("occurred_at", "kind")
    ]


@pytest.fixture
def shop(world):
    return make_account("Shop", lng=1.05, lat=42.05, status="lead")


def test_a_status_and_owner_change_through_the_api_lands_on_the_timeline(world, as_user, shop):
    answer = as_user("manager").patch(
        f"accounts/{shop.pk}", {"status": "prospect", "owner_id": world.rep1.pk}
    )
    assert answer.status_code == 200, answer.content
    assert changes(shop) == [
        ("owner_change", "manager",
         {"old": None, "new": {"id": world.rep1.pk, "name": "rep1"}}),
        ("status_change", "manager", {"old": "lead", "new": "prospect"}),
    ]  # fmt: skip
    # An edit that changes neither writes nothing more.
    as_user("manager").patch(f"accounts/{shop.pk}", {"phone": "+376 1"})
    assert len(changes(shop)) == 2


def test_a_status_change_from_the_phone_lands_on_the_timeline(world, as_user, shop):
    op = {"op_id": str(uuid.uuid4()), "entity": "account", "action": "update",
          "id": str(shop.pk), "base_version": shop.version,
          "changes": {"status": {"old": "lead", "new": "customer"}}}  # fmt: skip
    answer = as_user("rep1").post("sync/push", {"device_id": "p", "mutations": [op]})
    assert answer.json()["results"][0]["status"] == "applied", answer.content
    assert changes(shop) == [("status_change", "rep1", {"old": "lead", "new": "customer"})]


def test_an_import_and_the_admin_record_their_changes_too(world, as_user):
    csv = "Name,Status,Lat,Lng,External_ID\nBeta,lead,42.05,1.05,EXT-9\n"
    manager = as_user("manager")
    upload = lambda text: manager.client.post(  # noqa: E731
        "/api/v1/accounts/import", {"file": SimpleUploadedFile("a.csv", text.encode())}
    )
    assert upload(csv).status_code == 200
    beta = Account.objects.get(external_id="EXT-9")
    assert changes(beta) == []  # a new account has no change
    assert upload(csv.replace("lead", "prospect")).status_code == 200
    assert changes(beta) == [("status_change", "manager", {"old": "lead", "new": "prospect"})]
    request = RequestFactory().post("/admin/")
    request.user = world.admin
    beta = Account.objects.get(pk=beta.pk)
    beta.status = "customer"
    site._registry[Account].save_model(request, beta, None, True)
    assert changes(beta)[-1] == ("status_change", "admin", {"old": "prospect", "new": "customer"})


def test_reassigning_a_reps_accounts_records_each_owner_change(world):
    one = make_account("One", lng=1.05, owner=world.rep1)
    two = make_account("Two", lng=1.06, owner=world.rep1)
    assert (
        accounts_reassign_owner(
            actor=world.manager, from_user_id=world.rep1.pk, to_user_id=world.rep2.pk
        )
        == 2
    )
    for account in (one, two):
        assert changes(account) == [("owner_change", "manager", {
            "old": {"id": world.rep1.pk, "name": "rep1"},
            "new": {"id": world.rep2.pk, "name": "rep2"}})]  # fmt: skip


def test_a_deal_move_has_its_own_kind(world, shop):
    pipeline = Pipeline.objects.create(name="P", is_default=True)
    first = Stage.objects.create(pipeline=pipeline, name="One", position=1)
    second = Stage.objects.create(pipeline=pipeline, name="Two", position=2)
    deal = Deal.objects.create(account=shop, name="D", pipeline=pipeline, stage=first)
    deal_move(actor=world.manager, deal_id=deal.pk, stage_id=second.pk)
    assert changes(shop) == [("deal_move", "manager", {"old": first.pk, "new": second.pk})]


@pytest.mark.parametrize("kind", ["system", "status_change", "owner_change", "deal_move"])
def test_history_kinds_cannot_be_logged_by_hand(world, shop, kind):
    with pytest.raises(DomainError) as refused:
        activity_create(actor=world.manager, account_id=shop.pk, data={"kind": kind})
    assert refused.value.field == "kind"
    assert not Activity.objects.filter(account=shop).exists()


def test_a_task_may_be_about_a_contact_or_a_deal_and_takes_their_account(world, shop):
    contact = Contact.objects.create(account=shop, name="Ann")
    pipeline = Pipeline.objects.create(name="P", is_default=True)
    stage = Stage.objects.create(pipeline=pipeline, name="One", position=1)
    deal = Deal.objects.create(account=shop, name="D", pipeline=pipeline, stage=stage)
    on_contact = task_create(actor=world.manager, data={
        "title": "Call Ann", "contact_id": contact.pk, "assignee_id": world.rep1.pk})  # fmt: skip
    assert (on_contact.account, on_contact.contact, on_contact.assignee) == (
        shop, contact, world.rep1)  # fmt: skip
    on_deal = task_create(actor=world.rep1, data={"title": "Quote", "deal_id": deal.pk})
    assert (on_deal.account, on_deal.deal) == (shop, deal)
    other = make_account("Other", lng=1.06)
    with pytest.raises(DomainError) as mismatch:
        task_create(actor=world.manager, data={
            "title": "x", "account_id": other.pk, "deal_id": deal.pk})  # fmt: skip
    assert mismatch.value.field == "deal_id"
    south = make_account("South", lng=1.05, lat=41.05)
    far = Contact.objects.create(account=south, name="Far")
    with pytest.raises(DomainError) as outside:
        task_create(actor=world.manager, data={"title": "x", "contact_id": far.pk})
    assert outside.value.field == "contact_id"
    with pytest.raises(DomainError):
        task_create(actor=world.manager, data={"title": "x", "contact_id": "not-a-uuid"})


def test_a_task_on_a_contact_through_the_api(world, as_user, shop):
    contact = Contact.objects.create(account=shop, name="Ann")
    answer = as_user("rep1").post("tasks", {"title": "Call Ann", "contact_id": str(contact.pk)})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["contact_id"], body["account_id"], body["deal_id"]) == (
        str(contact.pk), str(shop.pk), None)  # fmt: skip


@pytest.mark.parametrize("sort", selectors.SORTS)
def test_keyset_pages_with_ties_and_nulls_cover_everything_once(world, sort):
    for i in range(7):
        make_account("Same" if i < 4 else f"N{i}", lng=1.05 + i / 1000,
                     owner=world.rep1 if i % 3 == 0 else None,
                     visit_frequency_days=10 if i % 2 else None,
                     status=("lead", "customer")[i % 2])  # fmt: skip
    for descending in (False, True):
        seen, cursor = [], None
        while True:
            page = selectors.account_table(
                actor=world.manager, filters=selectors.AccountTableFilters(), sort=sort,
                descending=descending, cursor=cursor, limit=3,
            )  # fmt: skip
            seen += [a.pk for a in page.rows]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert len(seen) == 7 and len(set(seen)) == 7, (sort, descending)


def test_columns_are_checked_and_kept_once_each(world):
    row = services.list_columns_set(
        actor=world.rep1, list_name="accounts", columns=["tags", "tier", "tags"]
    )
    assert row.columns == ["tags", "tier"]
    assert selectors.account_columns(actor=world.rep1) == ["tags", "tier"]
    assert selectors.account_columns(actor=world.rep2) == list(selectors.DEFAULT_ACCOUNT_COLUMNS)
    with pytest.raises(DomainError) as refused:
        services.list_columns_set(actor=world.rep1, list_name="accounts", columns=["salary"])
    assert refused.value.field == "columns"
