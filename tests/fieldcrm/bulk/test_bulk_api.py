"""/api/v1/bulk-changes through HTTP: preview, apply, last, undo; bad input is a 422 naming
the field, never a 500, and leaves nothing behind."""

from __future__ import annotations

import pytest

from fieldcrm.accounts.models import Account
from fieldcrm.bulk.models import BulkChange
from tests.factories import make_account


@pytest.fixture
def shops(world):
    return [
        make_account("A1 bakery", lng=1.02, lat=42.02),
        make_account("B1 market", lng=1.15, lat=42.05, owner=world.rep1),
    ]


def body(shops, **kw):
    return {"field": "owner", "value": kw.pop("value"),
            "account_ids": [str(a.pk) for a in shops], **kw}  # fmt: skip


def test_preview_apply_last_and_undo_through_the_api(as_user, world, shops):
    manager = as_user("manager")
    assert manager.get("bulk-changes/last").status_code == 404
    preview = manager.post("bulk-changes/preview", body(shops, value=world.rep2.pk))
    assert preview.status_code == 200, preview.content
    assert preview.json()["count"] == 2
    assert not BulkChange.objects.exists()
    applied = manager.post("bulk-changes", body(shops, value=world.rep2.pk))
    assert applied.status_code == 201, applied.content
    change = applied.json()
    assert change["count"] == 2 and change["value_display"] == "rep2"
    assert sorted(a["name"] for a in change["accounts"]) == ["A1 bakery", "B1 market"]
    assert change["undone_at"] is None
    # The undo survives a reload: the server knows the last change.
    assert manager.get("bulk-changes/last").json()["id"] == change["id"]
    undone = manager.post("bulk-changes/last/undo", {"id": change["id"]})
    assert undone.status_code == 200, undone.content
    assert undone.json()["restored"] == 2 and undone.json()["undone_at"]
    assert dict(Account.objects.values_list("name", "owner_id")) == {
        "A1 bakery": None,
        "B1 market": world.rep1.pk,
    }
    again = manager.post("bulk-changes/last/undo", {})
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "id"]


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"field": "colour", "value": 1}, ["body", "payload", "field"]),
        ({"value": 0}, ["body", "payload", "value"]),
        ({"value": True}, ["body", "payload", "value"]),
        ({"value": 2**70}, ["body", "payload", "value"]),
        ({"value": "x" * 40}, ["body", "payload", "value"]),
        ({"account_ids": []}, ["body", "payload", "account_ids"]),
        ({"account_ids": ["not-a-uuid"]}, ["body", "payload", "account_ids", 0]),
        ({"value": "rep2"}, ["body", "value"]),
        ({"field": "status", "value": "gold"}, ["body", "value"]),
        ({"value": 987654321}, ["body", "value"]),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(
    as_user, world, shops, payload, loc
):
    sent = {**body(shops, value=world.rep2.pk), **payload}
    for path in ("bulk-changes/preview", "bulk-changes"):
        response = as_user("manager").post(path, sent)
        assert response.status_code == 422, (path, response.content)
        assert response.json()["detail"][0]["loc"][: len(loc)] == loc, response.json()
    assert not BulkChange.objects.exists()
    assert not Account.objects.filter(owner=world.rep2).exists()


def test_undo_id_is_validated_at_the_schema(as_user, world):
    for value in (0, 2**70, "x"):
        response = as_user("manager").post("bulk-changes/last/undo", {"id": value})
        assert response.status_code == 422, response.content
        assert response.json()["detail"][0]["loc"] == ["body", "payload", "id"]


def test_a_planner_gets_403_and_a_rep_only_their_own_scope(as_user, world, shops):
    planner = as_user("planner").post("bulk-changes", body(shops, value=world.rep2.pk))
    assert planner.status_code == 403
    # rep1 sees A1 (territory A) and B1 (theirs), but may give accounts only to themselves.
    rep = as_user("rep1").post("bulk-changes", body(shops, value=world.rep2.pk))
    assert rep.status_code == 422 and rep.json()["detail"][0]["loc"] == ["body", "value"]
    mine = as_user("rep1").post("bulk-changes", body(shops[:1], value=world.rep1.pk))
    assert mine.status_code == 201, mine.content
