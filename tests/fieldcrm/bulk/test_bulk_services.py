"""Bulk changes through the service layer: preview, apply, refusals, history, sync, undo."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from fieldcrm.access import NotAllowed
from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.accounts.services import account_update
from fieldcrm.bulk import fields as bulk_fields
from fieldcrm.bulk.models import BulkChange
from fieldcrm.bulk.services import bulk_change_apply, bulk_change_preview, bulk_change_undo
from fieldcrm.core.errors import DomainError
from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.fieldcrm.sync.test_sync import pull_all


@pytest.fixture
def shops(world):
    return {
        "a1": make_account("A1 bakery", lng=1.02, lat=42.02, status="lead"),
        "a2": make_account("A2 kiosk", lng=1.04, lat=42.05, status="customer"),
        "b1": make_account("B1 market", lng=1.15, lat=42.05, owner=world.rep1),
        "b2": make_account("B2 florist", lng=1.16, lat=42.06, owner=world.rep2),
        "s1": make_account("S1 south shop", lng=1.05, lat=41.05),
    }


def ids(shops, *names):
    return [shops[n].pk for n in names]


def fresh(account):
    return Account.objects.get(pk=account.pk)


def test_preview_names_what_changes_what_is_so_already_and_writes_nothing(world, shops):
    versions = dict(Account.objects.values_list("pk", "version"))
    preview = bulk_change_preview(
        actor=world.manager, field="owner", value=world.rep2.pk,
        account_ids=ids(shops, "a1", "b1", "b2"),
    )  # fmt: skip
    assert preview["count"] == 2
    assert preview["value_display"] == "rep2"
    changes = {c["name"]: c for c in preview["changes"]}
    assert set(changes) == {"A1 bakery", "B1 market"}
    assert changes["B1 market"]["from_display"] == "rep1"
    assert changes["B1 market"]["warnings"] == []
    # A1 lies in territory A, rep1's: rep2 may own it (same region), with a warning.
    assert changes["A1 bakery"]["from_display"] == "nobody"
    assert "territory A" in changes["A1 bakery"]["warnings"][0]
    assert preview["unchanged"] == [{"id": str(shops["b2"].pk), "name": "B2 florist"}]
    assert preview["refused"] == []
    assert dict(Account.objects.values_list("pk", "version")) == versions
    assert not BulkChange.objects.exists()


def test_a_rep_of_another_region_is_refused_for_each_account_and_nothing_is_written(world, shops):
    preview = bulk_change_preview(
        actor=world.admin, field="owner", value=world.rep3.pk, account_ids=ids(shops, "a1", "s1")
    )
    assert [c["name"] for c in preview["changes"]] == ["S1 south shop"]
    [refused] = preview["refused"]
    assert refused["name"] == "A1 bakery" and "region North" in refused["reason"]
    change, _ = bulk_change_apply(
        actor=world.admin, field="owner", value=world.rep3.pk, account_ids=ids(shops, "a1", "s1")
    )
    assert [i["name"] for i in change.items] == ["S1 south shop"]
    assert fresh(shops["a1"]).owner_id is None and fresh(shops["s1"]).owner_id == world.rep3.pk
    with pytest.raises(DomainError) as nothing:
        bulk_change_apply(
            actor=world.admin, field="owner", value=world.rep3.pk, account_ids=ids(shops, "a1")
        )
    assert nothing.value.field == "account_ids"


def test_the_new_owner_must_be_an_active_rep_in_the_callers_scope(world, shops):
    for value in (world.rep3.pk, world.planner.pk, 987654):  # another region, no rep, missing
        with pytest.raises(DomainError) as refused:
            bulk_change_preview(
                actor=world.manager, field="owner", value=value, account_ids=ids(shops, "a1")
            )
        assert refused.value.field == "value"
    world.rep2.is_active = False
    world.rep2.save()
    with pytest.raises(DomainError):
        bulk_change_preview(
            actor=world.manager, field="owner", value=world.rep2.pk, account_ids=ids(shops, "a1")
        )


def test_apply_is_one_bulk_change_with_a_history_entry_per_account(world, shops, as_user):
    before = {a.pk: a.version for a in Account.objects.all()}
    change, summary = bulk_change_apply(
        actor=world.manager, field="owner", value=world.rep2.pk,
        account_ids=ids(shops, "a1", "b1", "b2"),
    )  # fmt: skip
    assert summary["count"] == 2
    assert BulkChange.objects.count() == 1
    assert change.actor == world.manager and change.field == "owner"
    assert sorted((i["name"], i["from"], i["to"]) for i in change.items) == [
        ("A1 bakery", None, world.rep2.pk), ("B1 market", world.rep1.pk, world.rep2.pk),
    ]  # fmt: skip
    a1, b1, b2 = fresh(shops["a1"]), fresh(shops["b1"]), fresh(shops["b2"])
    assert a1.owner_id == b1.owner_id == world.rep2.pk
    assert (a1.version, b1.version, b2.version) == (
        before[a1.pk] + 1,
        before[b1.pk] + 1,
        before[b2.pk],
    )
    assert a1.change_seq == b1.change_seq > b2.change_seq  # one change number for the batch
    history = Activity.objects.filter(kind=Activity.Kind.OWNER_CHANGE, actor=world.manager)
    assert sorted((h.account.name, h.details["new"]["id"]) for h in history) == [
        ("A1 bakery", world.rep2.pk), ("B1 market", world.rep2.pk),
    ]  # fmt: skip
    assert {h.details["old"] and h.details["old"]["name"] for h in history} == {None, "rep1"}
    # The account's timeline (the API the phone and the pages read) shows it.
    timeline = as_user("manager").get(f"accounts/{b1.pk}/activities").json()["items"]
    assert timeline[0]["subject"] == "Bulk change: owner from rep1 to rep2"
    assert f"#{change.pk}" in timeline[0]["body"]


def test_the_old_owners_phone_drops_the_account_and_the_new_owners_gets_it(world, shops, as_user):
    Contact.objects.create(account=shops["b1"], name="Anna")
    rep1, rep2 = as_user("rep1"), as_user("rep2")
    _, c1 = pull_all(rep1)
    _, c2 = pull_all(rep2)
    bulk_change_apply(
        actor=world.manager, field="owner", value=world.rep2.pk, account_ids=ids(shops, "b1")
    )
    gone, c1 = pull_all(rep1, c1)
    assert gone["removed"] == {"accounts": [str(shops["b1"].pk)]}
    arrived, _ = pull_all(rep2, c2)
    assert [a["owner_id"] for a in arrived["changes"]["accounts"]] == [world.rep2.pk]
    assert [c["name"] for c in arrived["changes"]["contacts"]] == ["Anna"]
    assert [a["subject"] for a in arrived["changes"]["activities"]] == [
        "Bulk change: owner from rep1 to rep2"
    ]
    bulk_change_undo(actor=world.manager)
    back, _ = pull_all(rep1, c1)
    assert [a["name"] for a in back["changes"]["accounts"]] == ["B1 market"]


def test_undo_puts_the_previous_values_back_and_says_so_in_the_history(world, shops):
    change, _ = bulk_change_apply(
        actor=world.manager, field="owner", value=world.rep2.pk, account_ids=ids(shops, "a1", "b1")
    )
    undone = bulk_change_undo(actor=world.manager, change_id=change.pk)
    assert undone.undone_at is not None and undone.undo_skipped == []
    assert fresh(shops["a1"]).owner_id is None
    assert fresh(shops["b1"]).owner_id == world.rep1.pk
    subjects = sorted(
        Activity.objects.filter(account=shops["b1"], kind="owner_change").values_list(
            "subject", flat=True
        )
    )
    assert subjects == [
        "Bulk change undone: owner back from rep2 to rep1",
        "Bulk change: owner from rep1 to rep2",
    ]


def test_undo_skips_accounts_changed_since_and_reports_them(world, shops):
    change, _ = bulk_change_apply(
        actor=world.manager, field="owner", value=world.rep2.pk, account_ids=ids(shops, "a1", "b1")
    )
    # Someone gives A1 to rep1 after the bulk change, and edits B1's phone (not its owner).
    account_update(account=fresh(shops["a1"]), fields={"owner": world.rep1})
    account_update(account=fresh(shops["b1"]), fields={"phone": "+376 800 000"})
    undone = bulk_change_undo(actor=world.manager)
    assert [(s["name"], "Changed since" in s["reason"]) for s in undone.undo_skipped] == [
        ("A1 bakery", True)
    ]
    assert fresh(shops["a1"]).owner_id == world.rep1.pk  # the later change stands
    assert fresh(shops["b1"]).owner_id == world.rep1.pk  # restored; its phone edit kept
    assert fresh(shops["b1"]).phone == "+376 800 000"


def test_there_is_one_undo_for_the_last_bulk_change_only(world, shops):
    first, _ = bulk_change_apply(
        actor=world.manager, field="tier", value="A", account_ids=ids(shops, "a1")
    )
    second, _ = bulk_change_apply(
        actor=world.manager, field="tier", value="C", account_ids=ids(shops, "a2")
    )
    with pytest.raises(DomainError, match="last"):
        bulk_change_undo(actor=world.manager, change_id=first.pk)
    with pytest.raises(DomainError):
        bulk_change_undo(actor=world.admin)  # undo is personal: the admin has none
    bulk_change_undo(actor=world.manager, change_id=second.pk)
    with pytest.raises(DomainError):
        bulk_change_undo(actor=world.manager)  # the last one is undone; no going further back
    assert fresh(shops["a1"]).tier == "A" and fresh(shops["a2"]).tier == "B"


def test_a_manager_cannot_bulk_change_another_regions_accounts(world, shops):
    for account_ids in ([shops["s1"].pk], [shops["a1"].pk, shops["s1"].pk], [uuid.uuid4()]):
        with pytest.raises(DomainError) as refused:
            bulk_change_apply(actor=world.manager, field="tier", value="A", account_ids=account_ids)
        # Out of scope reads exactly like missing.
        assert (refused.value.field, refused.value.message) == (
            "account_ids",
            "Some of these accounts were not found.",
        )
    assert not Account.objects.filter(tier="A").exists()
    assert not BulkChange.objects.exists()


def test_a_planner_reads_but_may_not_bulk_change(world, shops):
    with pytest.raises(NotAllowed):
        bulk_change_apply(
            actor=world.planner, field="tier", value="A", account_ids=ids(shops, "a1")
        )


def test_undo_only_touches_accounts_the_caller_may_still_change(world, shops):
    change, _ = bulk_change_apply(
        actor=world.manager, field="tier", value="C", account_ids=ids(shops, "a1", "b1")
    )
    world.manager.regions.remove(world.north)
    world.north.manager = None
    world.north.save()
    world.manager.__dict__.pop("_scope_rules", None)
    undone = bulk_change_undo(actor=world.manager, change_id=change.pk)
    assert len(undone.undo_skipped) == 2
    assert set(
        Account.objects.filter(pk__in=ids(shops, "a1", "b1")).values_list("tier", flat=True)
    ) == {"C"}


def test_status_follows_the_lifecycle_and_undo_puts_it_back(world, shops):
    with pytest.raises(DomainError):  # a customer never goes back to lead: nothing to change
        bulk_change_apply(
            actor=world.manager, field="status", value="lead", account_ids=ids(shops, "a2")
        )
    preview = bulk_change_preview(
        actor=world.manager, field="status", value="lead", account_ids=ids(shops, "a1", "a2")
    )
    assert [r["name"] for r in preview["refused"]] == ["A2 kiosk"]
    assert [u["name"] for u in preview["unchanged"]] == ["A1 bakery"]
    change, summary = bulk_change_apply(
        actor=world.manager, field="status", value="customer",
        account_ids=ids(shops, "a1", "a2", "b1"),
    )  # fmt: skip
    assert summary["count"] == 2 and summary["changes"][0]["from_display"] == "Lead"
    assert fresh(shops["a1"]).status == "customer"
    bulk_change_undo(actor=world.manager)
    # An undo corrects a mistake: the lead comes back although the lifecycle has no such step.
    assert fresh(shops["a1"]).status == fresh(shops["b1"]).status == "lead"
    assert fresh(shops["a2"]).status == "customer"


def test_a_failure_inside_apply_leaves_nothing_half_saved(world, shops, monkeypatch):
    def broken(self, *, target, account_ids):
        raise DomainError("value", "boom")

    monkeypatch.setattr(bulk_fields.OwnerField, "verify", broken)
    with pytest.raises(DomainError):
        bulk_change_apply(
            actor=world.manager, field="owner", value=world.rep2.pk,
            account_ids=ids(shops, "a1", "b1"),
        )  # fmt: skip
    assert fresh(shops["b1"]).owner_id == world.rep1.pk and fresh(shops["a1"]).owner_id is None
    assert not BulkChange.objects.exists()
    assert not Activity.objects.filter(actor=world.manager).exists()


def test_bad_field_and_values_are_refused_naming_them(world, shops):
    cases = [("colour", "red", "field"), ("status", "gold", "value"), ("tier", 3, "value"),
             ("owner", "rep2", "value"), ("owner", True, "value")]  # fmt: skip
    for field, value, named in cases:
        with pytest.raises(DomainError) as refused:
            bulk_change_preview(
                actor=world.manager, field=field, value=value, account_ids=ids(shops, "a1")
            )
        assert refused.value.field == named, (field, value)
    with pytest.raises(DomainError, match="at least one"):
        bulk_change_preview(actor=world.manager, field="tier", value="A", account_ids=[])


def test_an_old_owner_losing_an_account_with_a_planned_visit_is_warned_of(world, shops):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    a3 = make_account("A3 café", lng=1.06, lat=42.06, owner=world.rep1)
    for account in (shops["b1"], a3):  # B1 lies in rep2's territory, A3 in rep1's own
        Visit.objects.create(account=account, rep=world.rep1, scheduled_on=tomorrow)
    preview = bulk_change_preview(
        actor=world.manager, field="owner", value=world.rep2.pk, account_ids=[shops["b1"].pk, a3.pk]
    )
    warnings = {c["name"]: c["warnings"] for c in preview["changes"]}
    assert (
        len(warnings["B1 market"]) == 1 and "rep1 has a planned visit" in warnings["B1 market"][0]
    )
    assert not any("planned visit" in w for w in warnings["A3 café"])  # rep1 keeps seeing A3


def test_status_and_tier_changes_write_the_workspaces_history_kinds(world, shops):
    bulk_change_apply(
        actor=world.manager, field="status", value="customer", account_ids=ids(shops, "a1")
    )
    bulk_change_apply(actor=world.manager, field="tier", value="A", account_ids=ids(shops, "a1"))
    entries = Activity.objects.filter(account=shops["a1"], actor=world.manager)
    assert sorted(((e.kind, e.details) for e in entries), key=lambda pair: pair[0]) == [
        ("status_change", {"old": "lead", "new": "customer"}),
        ("system", {}),  # tier has no history kind of its own
    ]
