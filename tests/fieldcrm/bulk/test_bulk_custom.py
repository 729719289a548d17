"""Bulk custom-field changes (issue 16): one definition at a time, with its type's checks; an
undo puts back each account's previous value and leaves the other custom fields alone."""

from __future__ import annotations

import pytest

from fieldcrm.accounts.models import Account, CustomFieldDefinition
from fieldcrm.bulk.models import BulkChange
from fieldcrm.bulk.services import bulk_change_apply, bulk_change_preview, bulk_change_undo
from fieldcrm.core.errors import DomainError
from tests.factories import make_account


@pytest.fixture
def shops(world):
    CustomFieldDefinition.objects.create(key="size", label="Size", kind="choice",
                                         choices=["S", "M", "L"])  # fmt: skip
    CustomFieldDefinition.objects.create(key="shelves", label="Shelves", kind="number",
                                         min_value=0, max_value=50)  # fmt: skip
    CustomFieldDefinition.objects.create(key="since", label="Since", kind="date", is_required=True)
    CustomFieldDefinition.objects.create(key="old", label="Old", kind="text", is_active=False)
    return {
        "a1": make_account("A1 bakery", lng=1.02, lat=42.02,
                           custom_fields={"size": "S", "shelves": 4, "since": "2020-01-01"}),
        "a2": make_account("A2 kiosk", lng=1.04, lat=42.05,
                           custom_fields={"size": "M", "since": "2021-01-01"}),
        "b1": make_account("B1 market", lng=1.15, lat=42.05, owner=world.rep1,
                           custom_fields={"since": "2022-01-01"}),
        "s1": make_account("S1 south shop", lng=1.05, lat=41.05,
                           custom_fields={"since": "2022-01-01"}),
    }  # fmt: skip


def ids(shops, *names):
    return [shops[n].pk for n in names]


def custom(account):
    return Account.objects.get(pk=account.pk).custom_fields


def test_preview_apply_and_undo_of_one_custom_field(world, shops, as_user):
    value = {"key": "size", "value": "M"}
    preview = bulk_change_preview(
        actor=world.manager, field="custom", value=value, account_ids=ids(shops, "a1", "a2", "b1")
    )
    assert preview["count"] == 2 and preview["value_display"] == "size: M"
    assert [(c["name"], c["from_display"]) for c in preview["changes"]] == [
        ("A1 bakery", "S"), ("B1 market", "—"),
    ]  # fmt: skip
    assert [u["name"] for u in preview["unchanged"]] == ["A2 kiosk"]
    seq = custom(shops["a1"])
    change, _ = bulk_change_apply(
        actor=world.manager, field="custom", value=value, account_ids=ids(shops, "a1", "a2", "b1")
    )
    assert custom(shops["a1"]) == {**seq, "size": "M"}
    assert custom(shops["b1"]) == {"since": "2022-01-01", "size": "M"}
    # Another custom field edited since does not stop the undo of this one.
    a1 = Account.objects.get(pk=shops["a1"].pk)
    a1.custom_fields = {**a1.custom_fields, "shelves": 9}
    a1.save()
    undone = bulk_change_undo(actor=world.manager, change_id=change.pk)
    assert undone.undo_skipped == []
    assert custom(shops["a1"]) == {"size": "S", "shelves": 9, "since": "2020-01-01"}
    assert custom(shops["b1"]) == {"since": "2022-01-01"}
    last = as_user("manager").get("bulk-changes/last").json()
    assert last["value"] == value and last["restored"] == 2


def test_a_number_field_and_clearing_an_optional_one(world, shops):
    bulk_change_apply(actor=world.manager, field="custom", value={"key": "shelves", "value": 12},
                      account_ids=ids(shops, "a1", "a2"))  # fmt: skip
    assert custom(shops["a2"])["shelves"] == 12
    bulk_change_apply(actor=world.manager, field="custom", value={"key": "shelves", "value": None},
                      account_ids=ids(shops, "a1"))  # fmt: skip
    assert "shelves" not in custom(shops["a1"])


@pytest.mark.parametrize(
    "value",
    [
        {"key": "size", "value": "XL"},  # not a choice
        {"key": "shelves", "value": 51},  # above the range
        {"key": "shelves", "value": "3"},  # not a number
        {"key": "since", "value": "yesterday"},  # not a date
        {"key": "since", "value": None},  # required
        {"key": "old", "value": "x"},  # deactivated
        {"key": "nope", "value": "x"},  # unknown
        {"key": "size"},
        "size",
        None,
    ],
)
def test_bad_values_are_refused_naming_the_value(world, shops, value):
    before = dict(Account.objects.values_list("pk", "custom_fields"))
    with pytest.raises(DomainError) as refused:
        bulk_change_apply(actor=world.manager, field="custom", value=value,
                          account_ids=ids(shops, "a1", "b1"))  # fmt: skip
    assert refused.value.field == "value"
    assert dict(Account.objects.values_list("pk", "custom_fields")) == before
    assert not BulkChange.objects.exists()


def test_out_of_scope_reads_as_missing(world, shops):
    with pytest.raises(DomainError) as refused:
        bulk_change_apply(actor=world.manager, field="custom", value={"key": "size", "value": "L"},
                          account_ids=ids(shops, "a1", "s1"))  # fmt: skip
    assert refused.value.field == "account_ids"
    assert custom(shops["a1"])["size"] == "S"


def test_the_api_takes_a_custom_field_and_refuses_bad_values_with_a_422(as_user, world, shops):
    manager = as_user("manager")
    sent = {"field": "custom", "value": {"key": "shelves", "value": 7},
            "account_ids": [str(shops["b1"].pk)]}  # fmt: skip
    applied = manager.post("bulk-changes", sent)
    assert applied.status_code == 201, applied.content
    assert applied.json()["value"] == {"key": "shelves", "value": 7}
    assert custom(shops["b1"])["shelves"] == 7
    for value, loc in [
        ({"key": "shelves", "value": 99}, ["body", "value"]),
        ({"key": "shelves", "value": 2**70}, ["body", "payload", "value"]),
        ({"key": "x" * 65, "value": 1}, ["body", "payload", "value"]),
    ]:
        response = manager.post("bulk-changes", {**sent, "value": value})
        assert response.status_code == 422, (value, response.content)
        assert response.json()["detail"][0]["loc"][: len(loc)] == loc, response.json()
    assert BulkChange.objects.count() == 1
