"""Bulk tag changes (issue 16): add or remove existing tags on a selection, the preview's counts,
history, phones told, an undo restoring each account's exact tag set, scope and bad values."""

from __future__ import annotations

import uuid

import pytest

from fieldcrm.accounts.models import Account, Activity, Tag
from fieldcrm.accounts.services import account_set_tags
from fieldcrm.bulk.models import BulkChange
from fieldcrm.bulk.services import bulk_change_apply, bulk_change_preview, bulk_change_undo
from fieldcrm.core.errors import DomainError
from tests.factories import make_account
from tests.fieldcrm.sync.test_sync import pull_all


@pytest.fixture
def shops(world):
    shops = {
        "a1": make_account("A1 bakery", lng=1.02, lat=42.02),
        "a2": make_account("A2 kiosk", lng=1.04, lat=42.05),
        "b1": make_account("B1 market", lng=1.15, lat=42.05, owner=world.rep1),
        "s1": make_account("S1 south shop", lng=1.05, lat=41.05),
    }
    Tag.objects.create(name="wholesale")
    account_set_tags(account=shops["a1"], tags=["vip", "late payer"])
    account_set_tags(account=shops["a2"], tags=["vip"])
    return shops


def ids(shops, *names):
    return [shops[n].pk for n in names]


def tags_of(account):
    return sorted(Account.objects.get(pk=account.pk).tags.values_list("name", flat=True))


def add(*names):
    return {"op": "add", "tags": list(names)}


def remove(*names):
    return {"op": "remove", "tags": list(names)}


def test_preview_counts_who_changes_and_who_has_it_already_and_writes_nothing(world, shops):
    versions = dict(Account.objects.values_list("pk", "version"))
    preview = bulk_change_preview(
        actor=world.manager, field="tags", value=add("vip"), account_ids=ids(shops, "a1", "b1")
    )
    assert preview["count"] == 1 and preview["value_display"] == "add vip"
    assert [(c["name"], c["from_display"]) for c in preview["changes"]] == [
        ("B1 market", "no tags")
    ]
    assert [u["name"] for u in preview["unchanged"]] == ["A1 bakery"]  # has it already
    removal = bulk_change_preview(
        actor=world.manager, field="tags", value=remove("vip"), account_ids=ids(shops, "a1", "b1")
    )
    assert [(c["name"], c["from_display"]) for c in removal["changes"]] == [
        ("A1 bakery", "late payer, vip")
    ]
    assert [u["name"] for u in removal["unchanged"]] == ["B1 market"]  # lacks it
    assert dict(Account.objects.values_list("pk", "version")) == versions
    assert not BulkChange.objects.exists()


def test_apply_adds_keeps_the_other_tags_and_records_history(world, shops, as_user):
    before = dict(Account.objects.values_list("pk", "change_seq"))
    change, summary = bulk_change_apply(
        actor=world.manager, field="tags", value=add("wholesale", "vip"),
        account_ids=ids(shops, "a1", "a2", "b1"),
    )  # fmt: skip
    assert summary["count"] == 3
    assert tags_of(shops["a1"]) == ["late payer", "vip", "wholesale"]
    assert tags_of(shops["a2"]) == ["vip", "wholesale"]
    assert tags_of(shops["b1"]) == ["vip", "wholesale"]
    assert change.value == {"op": "add", "tags": ["vip", "wholesale"]}
    assert {i["name"]: i["from"] for i in change.items}["A1 bakery"] == ["late payer", "vip"]
    seqs = dict(Account.objects.values_list("pk", "change_seq"))
    assert len({seqs[pk] for pk in ids(shops, "a1", "a2", "b1")}) == 1
    assert all(seqs[pk] > before[pk] for pk in ids(shops, "a1", "a2", "b1"))
    assert seqs[shops["s1"].pk] == before[shops["s1"].pk]
    subjects = Activity.objects.filter(account=shops["b1"], actor=world.manager)
    assert [a.subject for a in subjects] == ["Bulk change: tags from no tags to vip, wholesale"]
    last = as_user("manager").get("bulk-changes/last").json()
    assert last["value"] == {"op": "add", "tags": ["vip", "wholesale"]}
    assert last["value_display"] == "add vip, wholesale" and last["count"] == 3


def test_the_phone_pulls_the_account_with_its_new_tags(world, shops, as_user):
    rep1 = as_user("rep1")
    _, cursor = pull_all(rep1)
    bulk_change_apply(
        actor=world.manager, field="tags", value=add("wholesale"), account_ids=ids(shops, "b1")
    )
    pulled, _ = pull_all(rep1, cursor)
    assert [(a["name"], a["tags"]) for a in pulled["changes"]["accounts"]] == [
        ("B1 market", ["wholesale"])
    ]


def test_undo_restores_each_accounts_exact_previous_tag_set(world, shops):
    change, _ = bulk_change_apply(
        actor=world.manager, field="tags", value=remove("vip", "late payer"),
        account_ids=ids(shops, "a1", "a2", "b1"),
    )  # fmt: skip
    assert tags_of(shops["a1"]) == tags_of(shops["a2"]) == []
    assert len(change.items) == 2  # B1 had neither: unchanged
    undone = bulk_change_undo(actor=world.manager, change_id=change.pk)
    assert undone.undo_skipped == []
    assert tags_of(shops["a1"]) == ["late payer", "vip"]
    assert tags_of(shops["a2"]) == ["vip"]
    assert tags_of(shops["b1"]) == []
    assert Activity.objects.filter(
        account=shops["a1"], subject="Bulk change undone: tags back from no tags to late payer, vip"
    ).exists()


def test_undo_leaves_an_account_whose_tags_changed_since(world, shops):
    bulk_change_apply(
        actor=world.manager,
        field="tags",
        value=add("wholesale"),
        account_ids=ids(shops, "a1", "a2"),
    )
    account_set_tags(account=shops["a2"], tags=["wholesale"])
    undone = bulk_change_undo(actor=world.manager)
    assert [(s["name"], "Changed since" in s["reason"]) for s in undone.undo_skipped] == [
        ("A2 kiosk", True)
    ]
    assert tags_of(shops["a1"]) == ["late payer", "vip"]
    assert tags_of(shops["a2"]) == ["wholesale"]


def test_out_of_scope_accounts_read_as_missing_and_nothing_is_written(world, shops):
    for account_ids in ([shops["s1"].pk], [shops["a1"].pk, shops["s1"].pk], [uuid.uuid4()]):
        with pytest.raises(DomainError) as refused:
            bulk_change_apply(
                actor=world.manager, field="tags", value=add("wholesale"), account_ids=account_ids
            )
        assert refused.value.field == "account_ids"
    assert not Account.tags.through.objects.filter(tag__name="wholesale").exists()
    assert not BulkChange.objects.exists()


@pytest.mark.parametrize(
    "value",
    [
        add("no such tag"),
        add("vip", "nope"),
        {"op": "set", "tags": ["vip"]},
        {"op": "add", "tags": []},
        {"op": "add"},
        {"op": "add", "tags": [3]},
        ["vip"],
        "vip",
        None,
    ],
)
def test_bad_values_are_refused_naming_the_value(world, shops, value):
    with pytest.raises(DomainError) as refused:
        bulk_change_apply(
            actor=world.manager, field="tags", value=value, account_ids=ids(shops, "b1")
        )
    assert refused.value.field == "value"
    assert tags_of(shops["b1"]) == [] and not Tag.objects.filter(name="no such tag").exists()


def test_the_api_applies_and_undoes_and_refuses_unknown_tags_with_a_422(as_user, world, shops):
    manager = as_user("manager")
    sent = {"field": "tags", "value": add("wholesale"), "account_ids": [str(shops["b1"].pk)]}
    preview = manager.post("bulk-changes/preview", sent)
    assert preview.status_code == 200, preview.content
    assert preview.json()["count"] == 1
    applied = manager.post("bulk-changes", sent)
    assert applied.status_code == 201, applied.content
    assert tags_of(shops["b1"]) == ["wholesale"]
    undone = manager.post("bulk-changes/last/undo", {"id": applied.json()["id"]})
    assert undone.status_code == 200 and undone.json()["restored"] == 1
    assert tags_of(shops["b1"]) == []
    for value, loc in [
        (add("nope"), ["body", "value"]),
        ({"op": "set", "tags": ["vip"]}, ["body", "payload", "value"]),
        ({"op": "add", "tags": ["x" * 65]}, ["body", "payload", "value"]),
    ]:
        response = manager.post("bulk-changes", {**sent, "value": value})
        assert response.status_code == 422, response.content
        assert response.json()["detail"][0]["loc"][: len(loc)] == loc, response.json()
        assert "nope" in str(response.json()) or loc != ["body", "value"]
    assert BulkChange.objects.count() == 1
