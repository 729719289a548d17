"""The pull/push protocol through HTTP: once per op, per-field merge, cursors, scope."""

import uuid

import pytest
from django.utils import timezone

from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.accounts.services import account_delete, account_update
from fieldcrm.sync.models import AppliedOp
from tests.factories import make_account


def op(entity, action, record_id=None, **kw):
    return {"op_id": str(uuid.uuid4()), "entity": entity, "action": action,
            "id": str(record_id or uuid.uuid4()), **kw}  # fmt: skip


def push(client, *mutations):
    response = client.post("sync/push", {"device_id": "phone-1", "mutations": list(mutations)})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def pull_all(client, cursor=0, limit=500):
    merged = {"changes": {}, "deleted": {}, "removed": {}}
    while True:
        body = client.get(f"sync/pull?cursor={cursor}&limit={limit}").json()
        for key in merged:
            for entity, rows in body[key].items():
                merged[key].setdefault(entity, []).extend(rows)
        cursor = body["cursor"]
        if not body["more"]:
            return merged, cursor


@pytest.fixture
def shop(world):
    return make_account("Shop", lng=1.05, lat=42.05, status="customer")


def test_a_create_pushed_twice_is_stored_once(as_user, world):
    rep1 = as_user("rep1")
    create = op(
        "account", "create", fields={"name": "Kiosk", "location": {"lat": 42.03, "lng": 1.03}}
    )
    first, again = push(rep1, create)[0], push(rep1, create)[0]
    assert (first["status"], again["status"]) == ("applied", "already_applied")
    assert Account.objects.filter(name="Kiosk").count() == 1
    assert again["id"] == first["id"] == create["id"]


def test_the_same_record_under_a_new_op_id_is_not_doubled(as_user, world):
    rep1 = as_user("rep1")
    create = op("account", "create", fields={"name": "Kiosk"})
    push(rep1, create)
    retry = {**create, "op_id": str(uuid.uuid4())}
    assert push(rep1, retry)[0]["status"] == "already_applied"
    assert Account.objects.filter(name="Kiosk").count() == 1


def test_one_bad_item_never_sinks_the_batch(as_user, shop):
    rep1 = as_user("rep1")
    good = [op("activity", "create", fields={"account_id": str(shop.pk), "kind": "note",
                                             "subject": f"n{i}"}) for i in range(4)]  # fmt: skip
    bad = op("activity", "create", fields={"account_id": str(shop.pk), "kind": "gossip"})
    results = push(rep1, *good[:2], bad, *good[2:])
    assert [r["status"] for r in results] == ["applied"] * 2 + ["rejected"] + ["applied"] * 2
    assert results[2]["errors"][0]["field"].endswith("kind")
    assert Activity.objects.count() == 4


def test_malformed_items_are_rejected_alone(as_user, shop):
    note = op("activity", "create", fields={"account_id": str(shop.pk), "kind": "note"})
    results = push(as_user("rep1"), {"op_id": "nope"}, {"entity": 1}, note)
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]


def test_different_fields_merge(as_user, world, shop):
    account_update(account=shop, fields={"phone": "server-phone"})  # the server moved on
    change = {"address": {"old": "", "new": "Main St 1"}}
    result = push(
        as_user("rep1"), op("account", "update", shop.pk, base_version=1, changes=change)
    )[0]
    assert result["status"] == "applied"
    shop.refresh_from_db()
    assert (shop.phone, shop.address) == ("server-phone", "Main St 1")


def test_same_field_conflict_keeps_server_value_and_both_in_history(as_user, world, shop):
    account_update(account=shop, fields={"phone": "111"})
    result = push(as_user("rep1"), op("account", "update", shop.pk, base_version=1,
                                      changes={"phone": {"old": "", "new": "222"}}))[0]  # fmt: skip
    assert result["status"] == "conflict"
    assert result["conflicts"] == [{"field": "phone", "server": "111", "yours": "222"}]
    shop.refresh_from_db()
    assert shop.phone == "111"
    note = Activity.objects.get(account=shop, kind="system")
    assert "111" in note.body and "222" in note.body


def test_an_edit_out_of_scope_is_rejected_visibly(as_user, world, shop):
    result = push(as_user("rep2"), op("account", "update", shop.pk, base_version=1,
                                      changes={"phone": {"old": "", "new": "1"}}))[0]  # fmt: skip
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == "id"


def test_an_op_id_of_another_user_is_not_replayed(as_user, world, shop):
    create = op("activity", "create", fields={"account_id": str(shop.pk), "kind": "note"})
    push(as_user("rep1"), create)
    assert push(as_user("manager"), create)[0]["status"] == "rejected"
    assert AppliedOp.objects.count() == 1


def test_fresh_pull_gets_the_scope_and_pages_do_not_split(as_user, world, shop):
    for i in range(7):
        make_account(f"A{i}", lng=1.02, lat=42.02)
    make_account("Elsewhere", lng=1.15, lat=42.05)
    merged, cursor = pull_all(as_user("rep1"), limit=3)
    names = sorted(a["name"] for a in merged["changes"]["accounts"])
    assert names == sorted(["Shop", *(f"A{i}" for i in range(7))])
    body = as_user("rep1").get(f"sync/pull?cursor={cursor}").json()
    assert body["changes"] == {} and not body["more"]


def test_deletes_reach_phones_as_tombstones_but_not_fresh_installs(as_user, world, shop):
    rep1 = as_user("rep1")
    _, cursor = pull_all(rep1)
    account_delete(account=shop)
    merged, _ = pull_all(rep1, cursor)
    assert merged["deleted"]["accounts"] == [str(shop.pk)]
    fresh, _ = pull_all(rep1)
    assert "accounts" not in fresh["changes"] and not fresh["deleted"]


def test_an_account_leaving_the_territory_is_removed_from_the_phone(as_user, world, shop):
    from django.contrib.gis.geos import Point

    rep1, rep2 = as_user("rep1"), as_user("rep2")
    _, c1 = pull_all(rep1)
    _, c2 = pull_all(rep2)
    Contact.objects.create(account=shop, name="Anna")
    account_update(account=shop, fields={"location": Point(1.15, 42.05, srid=4326)})
    gone, _ = pull_all(rep1, c1)
    assert gone["removed"] == {"accounts": [str(shop.pk)]}
    arrived, _ = pull_all(rep2, c2)
    assert [a["name"] for a in arrived["changes"]["accounts"]] == ["Shop"]
    assert [c["name"] for c in arrived["changes"]["contacts"]] == ["Anna"]


def test_a_rep_taken_off_a_territory_drops_its_accounts(as_user, world, shop):
    rep1 = as_user("rep1")
    _, cursor = pull_all(rep1)
    world.territory_a.reps.remove(world.rep1)
    merged, cursor = pull_all(rep1, cursor)
    assert merged["removed"] == {"accounts": [str(shop.pk)]}
    world.territory_a.reps.add(world.rep1)
    merged, _ = pull_all(rep1, cursor)
    assert [a["name"] for a in merged["changes"]["accounts"]] == ["Shop"]


def test_pull_rejects_bad_cursor_and_limit(as_user, world):
    assert as_user("rep1").get("sync/pull?cursor=-1").status_code == 422
    assert as_user("rep1").get("sync/pull?limit=100000").status_code == 422


def test_push_refuses_an_oversized_batch_naming_mutations(as_user, world):
    response = as_user("rep1").post("sync/push", {"mutations": [{}] * 501})
    assert response.status_code == 422
    assert "mutations" in str(response.json()["detail"])


def test_a_visit_logged_offline_arrives_whole_once(as_user, world, shop):
    rep1 = as_user("rep1")
    visit = op("visit", "create", fields={
        "account_id": str(shop.pk), "status": "done", "outcome": "order", "notes": "Big order",
        "check_in": {"location": {"lat": 42.0501, "lng": 1.05}, "accuracy_m": 8,
                     "at": "2026-11-24T09:00:00Z"},
        "completed_at": "2026-11-24T09:20:00Z",
        "next_step": {"title": "Call about delivery", "due_at": "2026-11-27T09:00:00Z"},
    })  # fmt: skip
    results = push(rep1, visit) + push(rep1, visit)
    assert [r["status"] for r in results] == ["applied", "already_applied"]
    record = results[0]["record"]
    assert (record["status"], record["outcome"], record["is_far"]) == ("done", "order", False)
    from fieldcrm.tasks.models import Task
    from fieldcrm.visits.models import Visit

    assert Visit.objects.count() == 1
    assert Activity.objects.filter(kind="visit").count() == 1
    assert Task.objects.get().title == "Call about delivery"
    shop.refresh_from_db()
    assert shop.last_visited_at is not None


def test_a_bad_visit_saves_nothing_of_it(as_user, world, shop):
    bad = op("visit", "create", fields={
        "account_id": str(shop.pk), "status": "done",
        "next_step": {"title": ""},
    })  # fmt: skip
    result = push(as_user("rep1"), bad)[0]
    assert result["status"] == "rejected"
    from fieldcrm.visits.models import Visit

    assert not Visit.all_objects.exists() and not Activity.objects.exists()


def test_completing_a_task_from_the_phone(as_user, world, shop):
    rep1 = as_user("rep1")
    task = op("task", "create", fields={"title": "Call", "account_id": str(shop.pk)})
    push(rep1, task)
    done = op("task", "update", task["id"], base_version=1,
              changes={"is_done": {"old": False, "new": True}})  # fmt: skip
    result = push(rep1, done)[0]
    assert result["status"] == "applied" and result["record"]["is_done"] is True
    merged, _ = pull_all(rep1)
    assert merged["changes"]["tasks"][0]["is_done"] is True


def test_the_same_op_twice_in_one_batch_applies_once(as_user, world, shop):
    note = op("activity", "create", fields={"account_id": str(shop.pk), "kind": "note"})
    results = push(as_user("rep1"), note, note)
    assert [r["status"] for r in results] == ["applied", "already_applied"]
    assert Activity.objects.count() == 1 and AppliedOp.objects.count() == 1


def test_a_batch_shares_one_change_number(as_user, world, shop):
    notes = [op("activity", "create", fields={"account_id": str(shop.pk), "kind": "note"})
             for _ in range(3)]  # fmt: skip
    push(as_user("rep1"), *notes)
    assert len(set(Activity.objects.values_list("change_seq", flat=True))) == 1


def test_head_start_sends_todays_route_first_and_later_tombstones(as_user, world, shop):
    import datetime as dt

    from django.utils import timezone

    from fieldcrm.tasks.models import Task
    from fieldcrm.visits.models import Visit

    today = timezone.localdate()
    make_account("Not on the route", lng=1.02, lat=42.02)
    route = Visit.objects.create(account=shop, rep=world.rep1, scheduled_on=today)
    Visit.objects.create(account=shop, rep=world.rep1, scheduled_on=today + dt.timedelta(days=9))
    Visit.objects.create(account=shop, rep=world.rep2, scheduled_on=today)  # not mine
    Task.objects.create(title="Call", assignee=world.rep1, due_at=timezone.now())
    later = timezone.now() + dt.timedelta(days=30)
    Task.objects.create(title="Later", assignee=world.rep1, due_at=later)
    rep1 = as_user("rep1")
    head = rep1.get("sync/today").json()
    assert [v["id"] for v in head["changes"]["visits"]] == [str(route.pk)]
    assert [a["name"] for a in head["changes"]["accounts"]] == ["Shop"]
    assert [t["title"] for t in head["changes"]["tasks"]] == ["Call"]
    # The route's account is deleted before the phone's first pull reads it: the tombstone
    # comes although the cursor is 0, since the phone says what it already holds.
    account_delete(account=shop)
    page = rep1.get(f"sync/pull?cursor=0&tombstones_since={head['cursor']}").json()
    assert str(shop.pk) in page["deleted"]["accounts"]
    assert str(shop.pk) in page["removed"]["accounts"]


def test_a_create_reusing_a_deleted_records_id_is_refused_not_revived(as_user, world, shop):
    """Regression: it answered already_applied with the live-looking record, so the phone
    kept a contact the server had deleted."""
    rep = as_user("rep1")
    create = op("contact", "create", fields={"account_id": str(shop.pk), "name": "Ann"})
    assert push(rep, create)[0]["status"] == "applied"
    Contact.all_objects.get(pk=create["id"]).soft_delete()
    again = {**create, "op_id": str(uuid.uuid4())}
    result = push(rep, again)[0]
    assert result["status"] == "rejected" and result["errors"][0]["field"] == "id"
    assert Contact.all_objects.get(pk=create["id"]).deleted_at is not None


@pytest.mark.parametrize("path", ["contacts", "activities"])
def test_the_api_refuses_a_deleted_records_id_with_a_422(as_user, world, shop, path):
    rep = as_user("rep1")
    body = {"name": "Ann"} if path == "contacts" else {"kind": "note", "subject": "Hi"}
    record_id = str(uuid.uuid4())
    assert rep.post(f"accounts/{shop.pk}/{path}", {**body, "id": record_id}).status_code == 201
    model = Contact if path == "contacts" else Activity
    model.all_objects.filter(pk=record_id).update(deleted_at=timezone.now())
    response = rep.post(f"accounts/{shop.pk}/{path}", {**body, "id": record_id})
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == "id"


def test_a_quiet_pull_costs_one_read_whatever_the_scope(world, django_assert_num_queries):
    """Nothing committed since the cursor: the answer comes from the change counter alone,
    not from a query per entity over the caller's scope (issue 22)."""
    from fieldcrm.core.models import sync_epoch
    from fieldcrm.sync.selectors import committed_cursor, sync_pull

    for i in range(30):
        make_account(f"Quiet {i}", lng=1.01 + i * 0.002, lat=42.02)
    cursor = committed_cursor()
    with django_assert_num_queries(1):
        body = sync_pull(actor=world.rep1, cursor=cursor)
    epoch = body.pop("epoch")  # read with the counter, in that one query
    assert body == {"cursor": cursor, "more": False, "changes": {}, "deleted": {}, "removed": {}}
    assert epoch == sync_epoch()
    make_account("One more", lng=1.05, lat=42.05)
    assert [
        a["name"] for a in sync_pull(actor=world.rep1, cursor=cursor)["changes"]["accounts"]
    ] == ["One more"]
