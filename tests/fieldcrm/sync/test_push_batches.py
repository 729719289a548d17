"""A run of visits logged offline is written together, with the answers one at a time gives."""

import uuid

import pytest

from fieldcrm.accounts.models import Account, Activity
from fieldcrm.sync.models import AppliedOp
from fieldcrm.tasks.models import Task
from fieldcrm.visits.models import Visit
from tests.factories import make_account
from tests.fieldcrm.sync.test_sync import op, push


def logged(account, completed_at="2026-11-24T09:20:00Z", **fields):
    return op("visit", "create", fields={
        "account_id": str(account.pk), "status": "done", "outcome": "order",
        "check_in": {"location": {"lat": 42.0501, "lng": 1.05}, "accuracy_m": 8},
        "completed_at": completed_at, **fields,
    })  # fmt: skip


@pytest.fixture
def shops(world):
    return [make_account(f"Shop {i}", status="customer", visit_frequency_days=14) for i in range(3)]


def test_a_run_of_logged_visits_is_written_whole(as_user, shops):
    a, b, c = shops
    batch = [
        logged(a, "2026-11-24T09:00:00Z"),
        logged(a, "2026-11-24T11:00:00Z", next_step={"title": "Send the offer"}),
        logged(b, "2026-11-24T10:00:00Z"),
        op("visit", "create", fields={"account_id": str(c.pk), "scheduled_on": "2026-11-25"}),
    ]
    results = push(as_user("rep1"), *batch)
    assert [r["status"] for r in results] == ["applied"] * 4
    assert [r["id"] for r in results] == [m["id"] for m in batch]
    assert results[1]["record"]["status"] == "done" and results[3]["record"]["status"] == "planned"
    assert Visit.objects.count() == 4 and Activity.objects.filter(kind="visit").count() == 3
    assert Task.objects.get().title == "Send the offer"
    a.refresh_from_db()
    assert a.last_visited_at.isoformat() == "2026-11-24T11:00:00+00:00"  # the latest of two
    assert a.version == 2 and a.visit_due_at.isoformat() == "2026-12-08T11:00:00+00:00"
    c.refresh_from_db()
    assert c.last_visited_at is None and c.version == 1
    rows = [*Visit.objects.all(), *Activity.objects.all(), Task.objects.get(), a]
    assert len({row.change_seq for row in rows}) == 1  # they reach phones together
    assert AppliedOp.objects.count() == 4


def test_refused_items_in_a_run_leave_nothing_and_the_rest_stand(as_user, world, shops):
    elsewhere = make_account("South shop", lng=1.1, lat=41.05)  # rep1 cannot see it
    good = [logged(shops[0]), logged(shops[1])]
    batch = [
        good[0],
        logged(elsewhere),
        logged(shops[1], next_step={"title": ""}),  # the schema refuses it
        op("visit", "create", fields={"account_id": str(shops[2].pk),
                                      "window_start": "10:00", "window_end": "09:00"}),
        good[1],
    ]  # fmt: skip
    results = push(as_user("rep1"), *batch)
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "rejected",
                                              "applied"]  # fmt: skip
    assert results[1]["errors"][0]["field"] == "account_id"
    assert results[2]["errors"][0]["field"].startswith("next_step")
    assert results[3]["errors"][0]["field"] in ("window_end", "__all__")
    assert set(Visit.objects.values_list("pk", flat=True)) == {uuid.UUID(m["id"]) for m in good}
    assert Activity.objects.count() == 2 and not Task.objects.exists()
    again = push(as_user("rep1"), *batch)  # a retry answers the same, rejections included
    assert [r["status"] for r in again] == ["already_applied", "rejected", "rejected",
                                            "rejected", "already_applied"]  # fmt: skip
    assert Visit.objects.count() == 2


def test_a_run_with_a_record_already_there_is_answered_item_by_item(as_user, shops):
    rep1 = as_user("rep1")
    first = logged(shops[0])
    push(rep1, first)
    resent = {**first, "op_id": str(uuid.uuid4())}  # the same visit under a new op id
    results = push(rep1, logged(shops[1]), resent, logged(shops[2]))
    assert [r["status"] for r in results] == ["applied", "already_applied", "applied"]
    assert Visit.objects.count() == 3 and Activity.objects.count() == 3


def test_a_visit_to_a_prospect_created_earlier_in_the_batch(as_user, world):
    rep1 = as_user("rep1")
    where = {"lat": 42.06, "lng": 1.06}
    prospect = op("account", "create", fields={"name": "Kiosk", "location": where})
    kiosk = Account(pk=prospect["id"])
    results = push(rep1, prospect, logged(kiosk), logged(kiosk, "2026-11-24T12:00:00Z"))
    assert [r["status"] for r in results] == ["applied"] * 3
    assert Visit.objects.filter(account_id=prospect["id"]).count() == 2


def test_a_role_that_may_not_create_visits_is_refused_per_item(as_user, world, shops):
    results = push(as_user("planner"), logged(shops[0]), logged(shops[1]))
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert not Visit.objects.exists()


def test_a_longer_run_costs_no_more_queries(as_user, shops):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep1 = as_user("rep1")
    counts = []
    for size in (3, 12):
        batch = [logged(shops[n % 3], next_step={"title": "Call"}) for n in range(size)]
        with CaptureQueriesContext(connection) as queries:
            assert {r["status"] for r in push(rep1, *batch)} == {"applied"}
        counts.append(len(queries))
    assert counts[1] <= counts[0]


def test_a_batch_costs_the_same_queries_whatever_the_reps_scope(world, as_user):
    """Issue 22: pushes stay short for a rep with 300 accounts. Nothing in a push reads the
    rep's whole scope: 100 logged visits run the same statements for a rep with 5 accounts
    as for one with 300 (bench/sync_profile.py measures the server time: ratio ≈ 1)."""
    from django.contrib.gis.geos import Point
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def scope_of(territory, n):
        rows = [Account(name=f"{territory.name} {i}", territory=territory, status="customer",
                        location=Point(1.05, 42.05, srid=4326)) for i in range(n)]  # fmt: skip
        return Account.all_objects.bulk_create(rows)

    small, big = scope_of(world.territory_b, 5), scope_of(world.territory_a, 300)
    counts = {}
    for persona, accounts in (("rep2", small), ("rep1", big)):
        # The same batch: 100 visits over 5 of the rep's accounts.
        batch = [logged(accounts[i % 5]) for i in range(100)]
        client = as_user(persona)
        with CaptureQueriesContext(connection) as queries:
            results = push(client, *batch)
        assert {r["status"] for r in results} == {"applied"}
        counts[persona] = len(queries)
    assert counts["rep1"] == counts["rep2"], counts
