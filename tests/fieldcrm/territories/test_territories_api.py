"""/api/v1/regions and /api/v1/territories (rows and GeoJSON) through HTTP."""

import pytest

from fieldcrm.accounts.models import Account
from fieldcrm.territories.models import Region, Territory
from tests.factories import make_account


def polygon(x0, y0, x1, y1):
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


BOWTIE = {"type": "Polygon", "coordinates": [[[1, 42], [1.1, 42.1], [1.1, 42], [1, 42.1], [1, 42]]]}


@pytest.fixture
def shops(world):
    return {
        "a1": make_account("Alpha", lng=1.02, lat=42.02),
        "a2": make_account("Beta", lng=1.08, lat=42.05),
        "b1": make_account("Gamma", lng=1.15, lat=42.05),
        "s1": make_account("South", lng=1.05, lat=41.05),
    }


def test_territories_geojson_is_scoped_with_counts(as_user, world, shops):
    body = as_user("rep1").get("territories.geojson").json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in body["features"]] == ["A"]
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["account_count"] == 2
    assert feature["properties"]["rep_ids"] == [world.rep1.pk]
    manager = as_user("manager").get("territories.geojson").json()
    assert [f["properties"]["name"] for f in manager["features"]] == ["A", "B"]
    assert len(as_user("admin").get("territories.geojson").json()["features"]) == 3


def test_regions_geojson_and_list_are_scoped(as_user, world, shops):
    body = as_user("manager").get("regions.geojson").json()
    assert [f["properties"]["name"] for f in body["features"]] == ["North"]
    assert body["features"][0]["properties"]["account_count"] == 3
    assert body["features"][0]["properties"]["territory_count"] == 2
    assert as_user("rep3").get("regions").json()["items"][0]["name"] == "South"
    assert as_user("admin").get("regions").json()["count"] == 2


def test_out_of_scope_territory_and_region_are_404_like_missing(as_user, world):
    rep1, manager = as_user("rep1"), as_user("manager")
    for client, url in [(rep1, f"territories/{world.territory_b.pk}"),
                        (manager, f"territories/{world.territory_s.pk}"),
                        (manager, f"regions/{world.south.pk}")]:  # fmt: skip
        outside, missing = client.get(url), client.get(url.rsplit("/", 1)[0] + "/999999")
        assert outside.status_code == missing.status_code == 404
        assert outside.json() == missing.json()
    patch = manager.patch(f"territories/{world.territory_s.pk}", {"name": "Mine"})
    assert patch.status_code == 404


def test_manager_creates_a_territory_in_their_region_and_accounts_move_to_it(as_user, world, shops):
    response = as_user("manager").post(
        "territories",
        {"name": "A-east", "region_id": world.north.pk, "boundary": polygon(1.06, 42.0, 1.1, 42.1),
         "rep_ids": [world.rep2.pk]},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account_count"] == 1
    assert body["rep_ids"] == [world.rep2.pk]
    assert Account.objects.get(pk=shops["a2"].pk).territory_id == body["id"]


def test_moving_a_boundary_reassigns_accounts(as_user, world, shops):
    url = f"territories/{world.territory_b.pk}"
    response = as_user("manager").patch(url, {"boundary": polygon(1.07, 42.0, 1.2, 42.1)})
    assert response.status_code == 200, response.content
    assert response.json()["account_count"] == 2
    assert Account.objects.get(pk=shops["a2"].pk).territory == world.territory_b


@pytest.mark.parametrize(
    ("body", "field"),
    [({"boundary": BOWTIE}, "boundary"),
     ({"boundary": {"type": "Polygon", "coordinates": "nope"}}, "boundary"),
     ({"boundary": {"type": "Point", "coordinates": [1, 42]}}, "boundary"),
     ({"boundary": polygon(1.0, 42.0, 200.0, 42.1)}, "boundary"),
     ({"name": ""}, "name"), ({"name": "B"}, "name"), ({"region_id": "SOUTH"}, "region_id"),
     ({"rep_ids": ["REP3"]}, "rep_ids")],
)  # fmt: skip
def test_bad_territory_is_422_naming_the_field_and_saves_nothing(
    as_user, world, shops, body, field
):
    subs = {"SOUTH": world.south.pk, "REP3": world.rep3.pk}
    body = {k: subs.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    if "rep_ids" in body:
        body["rep_ids"] = [subs.get(r, r) for r in body["rep_ids"]]
    payload = {
        "name": "New",
        "region_id": world.north.pk,
        "boundary": polygon(1.0, 42.0, 1.1, 42.1),
    }
    before = list(Account.objects.values_list("pk", "territory_id"))
    response = as_user("manager").post("territories", {**payload, **body})
    assert response.status_code == 422, response.content
    assert field in str(response.json()["detail"])
    assert Territory.objects.count() == 3
    assert list(Account.objects.values_list("pk", "territory_id")) == before


def test_bad_boundary_patch_changes_nothing(as_user, world, shops):
    url = f"territories/{world.territory_a.pk}"
    response = as_user("manager").patch(url, {"boundary": BOWTIE})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "boundary"]
    assert Territory.objects.get(pk=world.territory_a.pk).boundary.extent == (1.0, 42.0, 1.1, 42.1)


@pytest.mark.parametrize("persona", ["rep1", "planner"])
def test_reps_and_planners_do_not_edit_territories(as_user, world, persona):
    client = as_user(persona)
    body = {"name": "X", "region_id": world.north.pk, "boundary": polygon(1, 42, 1.1, 42.1)}
    assert client.post("territories", body).status_code == 403
    assert client.post("regions", {"name": "X"}).status_code == 403


def test_delete_territory_moves_its_accounts_to_none(as_user, world, shops):
    assert as_user("manager").delete(f"territories/{world.territory_a.pk}").status_code == 204
    assert Account.objects.get(pk=shops["a1"].pk).territory is None
    assert as_user("rep1").delete(f"territories/{world.territory_s.pk}").status_code == 404


def test_admin_region_crud(as_user, world):
    admin = as_user("admin")
    created = admin.post(
        "regions",
        {"name": "East", "boundary": polygon(2, 42, 2.2, 42.2), "timezone": "Europe/Madrid",
         "manager_id": world.manager.pk},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["boundary"]["type"] == "MultiPolygon"
    rid = created.json()["id"]
    assert admin.patch(f"regions/{rid}", {"timezone": "Mars/Base"}).status_code == 422
    assert admin.patch(f"regions/{rid}", {"boundary": BOWTIE}).status_code == 422
    assert admin.delete(f"regions/{world.north.pk}").status_code == 422
    assert admin.delete(f"regions/{rid}").status_code == 204
    assert not Region.objects.filter(pk=rid).exists()


def test_manager_edits_their_region_but_not_its_manager(as_user, world):
    manager = as_user("manager")
    url = f"regions/{world.north.pk}"
    assert manager.patch(url, {"timezone": "Europe/Andorra"}).json()["timezone"] == "Europe/Andorra"
    assert manager.patch(url, {"manager_id": world.admin.pk}).status_code == 403
    assert manager.delete(url).status_code == 403


def test_a_territory_outside_its_regions_boundary_is_refused(as_user, world, shops):
    """Regression: a manager drew a territory in their region over another region and took
    its accounts into their scope."""
    before = Territory.objects.count()
    body = {"name": "Grab", "region_id": world.north.pk, "boundary": polygon(1.0, 41.0, 1.2, 42.1)}
    response = as_user("manager").post("territories", body)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == "boundary"
    assert Territory.objects.count() == before
    assert Account.objects.get(pk=shops["s1"].pk).territory == world.territory_s


def test_a_territory_of_a_region_without_a_boundary_may_not_take_other_regions_accounts(
    as_user, world, shops
):
    world.north.boundary = None
    world.north.save()
    body = {"name": "Grab", "region_id": world.north.pk, "boundary": polygon(1.0, 41.0, 1.2, 41.1)}
    response = as_user("manager").post("territories", body)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == "boundary"
    assert "other regions" in response.json()["detail"][0]["msg"]
    assert Account.objects.get(pk=shops["s1"].pk).territory == world.territory_s


def test_moving_a_boundary_out_of_the_region_is_refused(as_user, world, shops):
    response = as_user("manager").patch(
        f"territories/{world.territory_a.pk}", {"boundary": polygon(0.9, 42.0, 1.1, 42.1)}
    )
    assert response.status_code == 422, response.content
    world.territory_a.refresh_from_db()
    assert world.territory_a.boundary.extent == (1.0, 42.0, 1.1, 42.1)


def test_a_reps_regions_count_only_what_the_rep_sees(as_user, world, shops):
    """Regression: a rep's /regions showed the region's totals (3 territories, 912 accounts)."""
    row = as_user("rep1").get("regions").json()["items"][0]
    assert row["name"] == "North"
    assert (row["territory_count"], row["account_count"]) == (1, 2)  # territory A: Alpha, Beta
    feature = as_user("rep1").get("regions.geojson").json()["features"][0]
    assert feature["properties"]["account_count"] == 2
