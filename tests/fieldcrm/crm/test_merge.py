"""Duplicates are found by one stated rule, and merging two accounts keeps everything."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from fieldcrm.access import NotAllowed, NotInScope
from fieldcrm.accounts import matching
from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.accounts.selectors import account_duplicates
from fieldcrm.accounts.services import account_merge, account_set_tags
from fieldcrm.core.errors import DomainError
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.plans.models import RoutePlan, RouteStop
from fieldcrm.sync.selectors import sync_pull
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account


def test_the_rule_normalises_phones_emails_and_names():
    assert matching.phone_key("+358 40 123 4567") == matching.phone_key("040-123 4567")
    assert matching.phone_key("12-34") == ""  # too short to mean anything
    assert matching.email_key("  Anna@Shop.FI ") == "anna@shop.fi"
    assert matching.names_similar("Nhà thuốc Đức Minh", "nha thuoc duc minh")
    assert matching.names_similar("Pharmacy Anna", "Anna Pharmacy Ltd")
    assert matching.names_similar("Bakery Koskinen", "Bakery Koskinnen")
    assert not matching.names_similar("Bakery Koskinen", "Hardware Virtanen")
    assert 95 < matching.metres_between(1.0, 42.0, 1.0, 42.00088) < 100


def test_duplicates_by_email_phone_or_a_similar_name_nearby_within_scope(world):
    shop = make_account("Bakery Koskinen", lng=1.05, lat=42.05, phone="+358 40 123 4567",
                        email="bakery@example.com")  # fmt: skip
    make_account("Bakery Koskinen", lng=1.06, lat=42.05)  # similar, but ~800 m away
    make_account("Hardware", lng=1.05, lat=42.05)  # the same spot, another name
    south = make_account("Bakery South", lng=1.05, lat=41.05, email="bakery@example.com")
    found = account_duplicates(actor=world.manager, name="Bakery Koskinnen",
                               location=(1.0502, 42.0502), phone="040 1234567")  # fmt: skip
    assert [(a.pk, why) for a, why in found] == [(shop.pk, ["phone", "name"])]
    # The manager's region is North: the southern shop with the same e-mail is not named.
    found = account_duplicates(actor=world.manager, email="BAKERY@example.com")
    assert [a.pk for a, _ in found] == [shop.pk]
    admin = account_duplicates(actor=world.admin, email="bakery@example.com")
    assert {a.pk for a, _ in admin} == {shop.pk, south.pk}
    assert account_duplicates(actor=world.rep2, email="bakery@example.com") == []


@pytest.fixture
def pair(world):
    keep = make_account("Anna Pharmacy", lng=1.05, lat=42.05, status="customer",
                        owner=world.rep1, phone="+358 40 111 2222")  # fmt: skip
    gone = make_account("Pharmacy Anna", lng=1.0501, lat=42.0501, status="prospect",
                        email="anna@pharmacy.fi", phone="040 111 2222")  # fmt: skip
    account_set_tags(account=keep, tags=["pharmacy"])
    account_set_tags(account=gone, tags=["vip"])
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    stage = Stage.objects.create(pipeline=pipeline, name="Open", position=0)
    contact = Contact.objects.create(account=gone, name="Anna")
    deal = Deal.objects.create(account=gone, name="Winter order", pipeline=pipeline, stage=stage)
    visit = Visit.objects.create(account=gone, rep=world.rep1, status="done",
                                 completed_at=timezone.now(), notes="met Anna")  # fmt: skip
    task = Task.objects.create(title="Call Anna", account=gone, assignee=world.rep1)
    note = Activity.objects.create(account=gone, kind="note", occurred_at=timezone.now(),
                                   subject="Likes mornings")  # fmt: skip
    plan = RoutePlan.objects.create(rep=world.rep1, region=world.north, date=dt.date.today())
    now = timezone.now()
    stop = RouteStop.objects.create(plan=plan, sequence=1, account=gone, arrival_at=now,
                                    start_at=now, departure_at=now)  # fmt: skip
    return keep, gone, {"contact": contact, "deal": deal, "visit": visit, "task": task,
                        "note": note, "stop": stop}  # fmt: skip


def test_a_merge_moves_everything_and_phones_drop_the_merged_account(world, pair):
    keep, gone, rows = pair
    cursor = sync_pull(actor=world.rep1, cursor=0)["cursor"]
    merged = account_merge(actor=world.manager, keep_id=keep.pk, merge_id=gone.pk,
                           take=["email"])  # fmt: skip
    assert merged.pk == keep.pk and merged.email == "anna@pharmacy.fi"
    assert merged.status == "customer" and merged.owner == world.rep1  # kept's, not taken
    assert sorted(merged.tags.values_list("name", flat=True)) == ["pharmacy", "vip"]
    for name, row in rows.items():
        row.refresh_from_db()
        assert row.account_id == keep.pk, name
    assert not Account.objects.filter(pk=gone.pk).exists()
    assert Account.all_objects.get(pk=gone.pk).deleted_at is not None
    entry = Activity.objects.get(account=keep, kind="system")
    assert "Pharmacy Anna" in entry.subject and entry.details["took"] == ["email"]

    page = sync_pull(actor=world.rep1, cursor=cursor)
    assert page["deleted"]["accounts"] == [str(gone.pk)]
    assert page["removed"]["accounts"] == [str(gone.pk)]
    for plural, row in (("contacts", rows["contact"]), ("visits", rows["visit"]),
                        ("tasks", rows["task"]), ("activities", rows["note"])):  # fmt: skip
        pulled = {r["id"]: r for r in page["changes"][plural]}
        assert pulled[str(row.pk)]["account_id"] == str(keep.pk), plural


def test_only_managers_merge_within_scope_and_never_into_itself(world, pair):
    keep, gone, _ = pair
    with pytest.raises(NotAllowed):
        account_merge(actor=world.rep1, keep_id=keep.pk, merge_id=gone.pk)
    south = make_account("Pharmacy South", lng=1.05, lat=41.05)
    with pytest.raises(NotInScope):
        account_merge(actor=world.manager, keep_id=keep.pk, merge_id=south.pk)
    with pytest.raises(DomainError) as refused:
        account_merge(actor=world.manager, keep_id=keep.pk, merge_id=keep.pk)
    assert refused.value.field == "merge_id"
    with pytest.raises(DomainError) as refused:
        account_merge(actor=world.manager, keep_id=keep.pk, merge_id=gone.pk, take=["id"])
    assert refused.value.field == "take"
    assert Account.objects.filter(pk=gone.pk).exists()  # nothing half-done


def test_the_pages_show_duplicates_and_merge_with_the_values_picked(world, pair):
    keep, gone, _ = pair
    rep = Client()
    rep.force_login(world.rep1)
    page = rep.get(f"/crm/accounts/{keep.pk}/").content.decode()
    assert "Possible duplicates" in page and "Pharmacy Anna" in page
    assert "Compare and merge" not in page  # reps see, managers merge
    assert rep.get(f"/crm/accounts/{keep.pk}/merge/{gone.pk}").status_code == 403

    manager = Client()
    manager.force_login(world.manager)
    url = f"/crm/accounts/{keep.pk}/merge/{gone.pk}"
    assert "Compare and merge" in manager.get(f"/crm/accounts/{keep.pk}/").content.decode()
    form = manager.get(url)
    assert form.status_code == 200 and b'name="email" value="other"' in form.content
    done = manager.post(url, {"name": "other", "email": "other", "status": "keep"})
    assert done.status_code == 302 and done["Location"] == f"/crm/accounts/{keep.pk}/"
    keep.refresh_from_db()
    assert (keep.name, keep.email, keep.status) == ("Pharmacy Anna", "anna@pharmacy.fi",
                                                    "customer")  # fmt: skip
    assert manager.get(url).status_code == 404  # the merged account is gone


def test_the_api_checks_for_duplicates_and_merges(world, pair, as_user):
    keep, gone, rows = pair
    rep = as_user("rep1")
    found = rep.get("accounts/duplicates?phone=%2B358401112222&exclude=" + str(keep.pk))
    assert found.status_code == 200
    assert found.json() == [{"id": str(gone.pk), "name": "Pharmacy Anna", "why": ["phone"]}]
    near = rep.get("accounts/duplicates?name=Anna%20Pharmacy%20Oy&near=42.05,1.05").json()
    assert [hit["name"] for hit in near] == ["Anna Pharmacy", "Pharmacy Anna"]
    assert rep.get("accounts/duplicates?near=95,1").status_code == 422
    assert rep.get("accounts/duplicates?bogus=1").status_code == 422

    body = {"merge_id": str(gone.pk), "take": ["email"]}
    assert rep.post(f"accounts/{keep.pk}/merge", body).status_code == 403
    manager = as_user("manager")
    refused = manager.post(f"accounts/{keep.pk}/merge", {**body, "take": ["id"]})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-2:] == ["take", 0]
    missing = manager.post(f"accounts/{keep.pk}/merge", {**body, "merge_id": str(uuid.UUID(int=1))})
    assert missing.status_code == 404
    merged = manager.post(f"accounts/{keep.pk}/merge", body)
    assert merged.status_code == 200 and merged.json()["email"] == "anna@pharmacy.fi"
    rows["deal"].refresh_from_db()
    assert rows["deal"].account_id == keep.pk
    assert manager.get(f"accounts/{gone.pk}").status_code == 404
