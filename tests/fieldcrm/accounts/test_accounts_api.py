"""/api/v1/accounts through HTTP, as the personas."""

import uuid

import pytest

from fieldcrm.accounts.models import Account, Activity
from tests.factories import make_account


@pytest.fixture
def shops(world):
    return {
        "a1": make_account("Alpha Bakery", lng=1.02, lat=42.02, status="customer"),
        "a2": make_account("Beta Bar", lng=1.05, lat=42.05, status="prospect"),
        "b1": make_account("Gamma Garage", lng=1.15, lat=42.05, status="lead"),
        "s1": make_account("South Shop", lng=1.05, lat=41.05, status="customer"),
    }


def names(response):
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


def test_list_is_items_and_count_scoped_to_the_rep(as_user, shops):
    body = as_user("rep1").get("accounts").json()
    assert body["count"] == 2
    assert [i["name"] for i in body["items"]] == ["Alpha Bakery", "Beta Bar"]
    assert all("id" in i for i in body["items"])


def test_manager_sees_the_region_and_admin_everything(as_user, shops):
    assert names(as_user("manager").get("accounts")) == ["Alpha Bakery", "Beta Bar", "Gamma Garage"]
    assert len(names(as_user("admin").get("accounts"))) == 4


def test_anonymous_gets_401_json(as_user, shops):
    response = as_user(None).get("accounts")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_out_of_scope_detail_is_404_like_a_missing_one(as_user, shops):
    rep1 = as_user("rep1")
    outside = rep1.get(f"accounts/{shops['b1'].pk}")
    missing = rep1.get(f"accounts/{uuid.uuid4()}")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


def test_filters_by_status_text_and_territory(as_user, world, shops):
    manager = as_user("manager")
    assert names(manager.get("accounts?status=lead&status=prospect")) == [
        "Beta Bar",
        "Gamma Garage",
    ]
    assert names(manager.get("accounts?q=bak")) == ["Alpha Bakery"]
    assert names(manager.get(f"accounts?territory={world.territory_b.pk}")) == ["Gamma Garage"]


def test_unknown_filter_is_refused_naming_it(as_user, shops):
    response = as_user("rep1").get("accounts?colour=red")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "colour"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=100000", "limit"), ("limit=0", "limit"), ("offset=-1", "offset"),
     ("near=abc", "near"), ("near=91,0", "near"), ("near=nan,1", "near"),
     ("bbox=1,2,3", "bbox"), ("bbox=3,42,1,43", "bbox"), ("radius_m=100", "radius_m"),
     ("near=42,1&radius_m=-5", "radius_m"), ("updated_since=yesterday", "updated_since")],
)  # fmt: skip
def test_bad_query_values_are_422_naming_the_field(as_user, shops, query, field):
    response = as_user("rep1").get(f"accounts?{query}")
    assert response.status_code == 422, response.content
    assert field in str(response.json()["detail"])


def test_create_as_rep_makes_them_owner_and_assigns_the_territory(as_user, world):
    response = as_user("rep1").post(
        "accounts",
        {"name": "Street Find", "status": "prospect", "location": {"lat": 42.03, "lng": 1.03},
         "tags": ["new-opening"], "opening_hours": {"mon": [["09:00", "18:00"]]}},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_id"] == world.rep1.pk
    assert body["territory_id"] == world.territory_a.pk
    assert body["tags"] == ["new-opening"]
    assert body["location"] == {"lat": 42.03, "lng": 1.03}


def test_create_with_a_client_uuid_keeps_it_and_refuses_a_reuse(as_user, world):
    client_id = str(uuid.uuid4())
    rep1 = as_user("rep1")
    assert rep1.post("accounts", {"id": client_id, "name": "X"}).json()["id"] == client_id
    again = rep1.post("accounts", {"id": client_id, "name": "X"})
    assert again.status_code == 422
    assert again.json()["detail"][0]["loc"] == ["body", "id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": ""}, "name"), ({"name": "X", "location": {"lat": 95, "lng": 1}}, "lat"),
     ({"name": "X", "location": {"lat": "north", "lng": 1}}, "lat"),
     ({"name": "X", "status": "vip"}, "status"), ({"name": "X", "email": "nope"}, "email"),
     ({"name": "X", "custom_fields": {"colour": "red"}}, "custom_fields"),
     ({"name": "X", "opening_hours": {"mon": [["18:00", "09:00"]]}}, "opening_hours"),
     ({"name": "X", "priority": 9}, "priority")],
)  # fmt: skip
def test_bad_create_is_422_naming_the_field_and_saves_nothing(as_user, world, body, field):
    response = as_user("rep1").post("accounts", body)
    assert response.status_code == 422, response.content
    assert field in str(response.json()["detail"])
    assert not Account.all_objects.exists()


def test_nan_in_json_is_refused(as_user, world):
    response = as_user("rep1").client.post(
        "/api/v1/accounts",
        data='{"name": "X", "location": {"lat": NaN, "lng": 1}}',
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not Account.all_objects.exists()


def test_patch_moves_the_account_and_bumps_the_version(as_user, world, shops):
    account = shops["a2"]
    response = as_user("manager").patch(
        f"accounts/{account.pk}", {"location": {"lat": 42.05, "lng": 1.15}, "version": 1}
    )
    assert response.status_code == 200, response.content
    assert response.json()["territory_id"] == world.territory_b.pk
    assert response.json()["version"] == 2


def test_patch_based_on_a_stale_version_is_a_409_with_the_current_copy(as_user, shops):
    manager = as_user("manager")
    url = f"accounts/{shops['a2'].pk}"
    assert manager.patch(url, {"phone": "1", "version": 1}).status_code == 200
    stale = manager.patch(url, {"phone": "2", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["phone"] == "1"


def test_lifecycle_violation_through_the_api_names_status(as_user, shops):
    response = as_user("manager").patch(f"accounts/{shops['a1'].pk}", {"status": "lead"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "status"]


def test_planner_reads_but_may_not_write(as_user, shops):
    planner = as_user("planner")
    assert planner.get(f"accounts/{shops['a1'].pk}").status_code == 200
    assert planner.patch(f"accounts/{shops['a1'].pk}", {"phone": "1"}).status_code == 403
    assert planner.post("accounts", {"name": "X"}).status_code == 403


def test_rep_cannot_delete_but_manager_soft_deletes(as_user, shops):
    url = f"accounts/{shops['a1'].pk}"
    assert as_user("rep1").delete(url).status_code == 403
    assert as_user("manager").delete(url).status_code == 204
    assert as_user("manager").get(url).status_code == 404
    assert Account.all_objects.get(pk=shops["a1"].pk).is_deleted


def test_rep_cannot_hand_an_account_to_someone_out_of_scope(as_user, world, shops):
    response = as_user("rep1").patch(f"accounts/{shops['a1'].pk}", {"owner_id": world.rep3.pk})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "owner_id"]


def test_due_filter_follows_the_visit_frequency(as_user, world):
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    make_account("Due", visit_frequency_days=7, last_visited_at=now - dt.timedelta(days=9))
    make_account("Fresh", visit_frequency_days=7, last_visited_at=now - dt.timedelta(days=2))
    make_account("No cadence")
    assert names(as_user("rep1").get("accounts?due=true")) == ["Due"]


def test_activity_timeline_is_newest_first_and_scoped(as_user, shops):
    rep1 = as_user("rep1")
    url = f"accounts/{shops['a1'].pk}/activities"
    rep1.post(url, {"kind": "call", "subject": "first", "occurred_at": "2026-01-01T10:00:00Z"})
    rep1.post(url, {"kind": "note", "subject": "second", "occurred_at": "2026-02-01T10:00:00Z"})
    items = rep1.get(url).json()["items"]
    assert [i["subject"] for i in items] == ["second", "first"]
    assert as_user("rep2").get(url).status_code == 404
    assert Activity.objects.count() == 2


def test_contacts_crud_within_scope(as_user, shops):
    rep1 = as_user("rep1")
    created = rep1.post(f"accounts/{shops['a1'].pk}/contacts", {"name": "Anna", "role": "Buyer"})
    assert created.status_code == 201, created.content
    contact_id = created.json()["id"]
    assert rep1.patch(f"contacts/{contact_id}", {"phone": "+376"}).json()["phone"] == "+376"
    assert as_user("rep2").patch(f"contacts/{contact_id}", {"phone": "x"}).status_code == 404
    assert rep1.delete(f"contacts/{contact_id}").status_code == 204
    assert rep1.get(f"accounts/{shops['a1'].pk}/contacts").json() == []


def test_geojson_has_the_same_scope_and_filters(as_user, shops):
    body = as_user("rep1").get("accounts.geojson?status=customer").json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in body["features"]] == ["Alpha Bakery"]
    assert body["features"][0]["geometry"]["coordinates"] == [1.02, 42.02]


def test_near_orders_by_distance_and_radius_limits(as_user, shops):
    manager = as_user("manager")
    body = manager.get("accounts?near=42.05,1.05").json()
    assert [i["name"] for i in body["items"]] == ["Beta Bar", "Alpha Bakery", "Gamma Garage"]
    assert body["items"][0]["distance_m"] == 0
    assert 4000 < body["items"][1]["distance_m"] < 4300  # 0.03 deg lat and lng, at 42 N
    assert names(manager.get("accounts?near=42.05,1.05&radius_m=5000")) == [
        "Beta Bar", "Alpha Bakery"
    ]  # fmt: skip


def test_bbox_filter(as_user, shops):
    assert names(as_user("admin").get("accounts?bbox=1.0,42.0,1.06,42.06")) == [
        "Alpha Bakery", "Beta Bar"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "count", "counted"),
    [("accounts?limit=5", 2, False), ("accounts?limit=1", 2, True),
     ("accounts?limit=1&offset=1", 2, True), ("accounts?limit=5&offset=9", 2, True),
     ("tasks?limit=5", 0, False), ("accounts?near=42.05,1.05&radius_m=50000", 2, False)],
)  # fmt: skip
def test_a_short_page_needs_no_count_query(as_user, shops, query, count, counted):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep1 = as_user("rep1")
    rep1.get("accounts")  # the session and user lookups, out of the way
    with CaptureQueriesContext(connection) as queries:
        body = rep1.get(query).json()
    assert body["count"] == count
    assert any("COUNT(" in q["sql"].upper() for q in queries) == counted


def test_near_pages_are_stable(as_user, world):
    for i in range(7):
        make_account(f"Same spot {i}", lng=1.05, lat=42.05)
    rep1 = as_user("rep1")
    pages = [names(rep1.get(f"accounts?near=42.05,1.05&limit=3&offset={o}")) for o in (0, 3, 6)]
    flat = [n for page in pages for n in page]
    assert sorted(flat) == sorted(f"Same spot {i}" for i in range(7))


def test_nul_characters_are_refused_naming_the_field_on_every_database(as_user, world):
    response = as_user("rep1").post("accounts", {"name": "Bad\x00name", "tags": ["ok", "x\x00"]})
    assert response.status_code == 422
    locs = [d["loc"] for d in response.json()["detail"]]
    assert locs == [["body", "name"], ["body", "tags", 1]]
    assert as_user("rep1").get("accounts?q=a%00b").status_code == 422
    assert not Account.all_objects.exists()
