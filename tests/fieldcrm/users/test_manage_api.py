"""/api/v1/users and /api/v1/custom-fields through HTTP."""

import pytest

from fieldcrm.accounts.models import CustomFieldDefinition
from fieldcrm.users.models import User


def usernames(response):
    assert response.status_code == 200, response.content
    return [u["username"] for u in response.json()["items"]]


def test_admin_lists_everyone_and_a_manager_their_region(as_user, world):
    assert len(usernames(as_user("admin").get("users"))) == 6
    assert usernames(as_user("manager").get("users")) == ["manager", "planner", "rep1", "rep2"]
    assert usernames(as_user("manager").get("users?role=rep")) == ["rep1", "rep2"]
    assert usernames(as_user("admin").get(f"users?region={world.south.pk}")) == ["rep3"]


@pytest.mark.parametrize("persona", ["rep1", "planner"])
def test_nobody_else_lists_users(as_user, world, persona):
    assert as_user(persona).get("users").status_code == 403


def test_manager_gets_404_for_a_user_outside_the_region(as_user, world):
    manager = as_user("manager")
    outside, missing = manager.get(f"users/{world.rep3.pk}"), manager.get("users/999999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert manager.get(f"users/{world.rep1.pk}").status_code == 200


def test_admin_creates_a_rep_with_home_base_shift_and_regions(as_user, world):
    response = as_user("admin").post(
        "users",
        {"username": "rep4", "password": "long-enough-pw", "role": "rep",
         "region_ids": [world.north.pk], "home_base": {"lat": 42.03, "lng": 1.04},
         "shift_start": "07:30", "shift_end": "16:00", "break_start": "12:00",
         "break_end": "14:00", "break_minutes": 30, "max_visits_per_day": 8},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["home_base"] == {"lat": 42.03, "lng": 1.04}
    assert body["region_ids"] == [world.north.pk]
    assert body["shift_start"] == "07:30"
    user = User.objects.get(username="rep4")
    assert user.check_password("long-enough-pw") and not user.is_staff
    assert "rep4" in usernames(as_user("manager").get("users"))


@pytest.mark.parametrize(
    ("body", "field"),
    [({"username": "rep1"}, "username"), ({"username": "bad name!"}, "username"),
     ({"username": "x", "role": "boss"}, "role"),
     ({"username": "x", "password": "short"}, "password"),
     ({"username": "x", "shift_start": "18:00", "shift_end": "08:00"}, "shift_end"),
     ({"username": "x", "home_base": {"lat": 100, "lng": 0}}, "lat"),
     ({"username": "x", "region_ids": [999999]}, "region_ids"),
     ({"username": "x", "working_days": [9]}, "working_days"),
     ({"username": "x", "break_minutes": 30}, "break_start"),
     ({"username": "x", "max_visits_per_day": 0}, "max_visits_per_day")],
)  # fmt: skip
def test_bad_user_is_422_naming_the_field_and_saves_nothing(as_user, world, body, field):
    response = as_user("admin").post("users", body)
    assert response.status_code == 422, response.content
    assert field in str(response.json()["detail"])
    assert User.objects.count() == 6


def test_admin_patches_role_and_regions_and_others_may_not(as_user, world):
    url = f"users/{world.rep2.pk}"
    response = as_user("admin").patch(url, {"role": "manager", "region_ids": [world.south.pk]})
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "manager"
    assert response.json()["region_ids"] == [world.south.pk]
    assert (
        as_user("manager").patch(f"users/{world.rep1.pk}", {"first_name": "X"}).status_code == 403
    )
    assert as_user("rep1").patch(f"users/{world.rep1.pk}", {"first_name": "X"}).status_code == 403
    assert as_user("manager").post("users", {"username": "sneaky"}).status_code == 403
    assert as_user("admin").patch(f"users/{world.admin.pk}", {"role": "rep"}).status_code == 422


def test_custom_fields_everyone_reads_admins_write(as_user, world):
    admin = as_user("admin")
    created = admin.post(
        "custom-fields",
        {"key": "segment", "label": "Segment", "kind": "choice", "choices": ["a", "b"]},
    )
    assert created.status_code == 201, created.content
    fid = created.json()["id"]
    assert [f["key"] for f in as_user("rep1").get("custom-fields").json()] == ["segment"]
    assert as_user("planner").get(f"custom-fields/{fid}").status_code == 200
    assert as_user("manager").patch(f"custom-fields/{fid}", {"label": "X"}).status_code == 403
    assert as_user("rep1").post("custom-fields", {"key": "k", "label": "K"}).status_code == 403
    assert (
        admin.patch(f"custom-fields/{fid}", {"label": "Market segment"}).json()["label"]
        == "Market segment"
    )
    assert as_user("rep1").delete(f"custom-fields/{fid}").status_code == 403
    assert admin.delete(f"custom-fields/{fid}").status_code == 204
    assert as_user("rep1").get(f"custom-fields/{fid}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({"key": "bad key", "label": "X"}, "key"), ({"key": "k", "label": ""}, "label"),
     ({"key": "k", "label": "K", "kind": "choice"}, "choices"),
     ({"key": "k", "label": "K", "kind": "colour"}, "kind")],
)  # fmt: skip
def test_bad_custom_field_is_422_naming_the_field(as_user, world, body, field):
    response = as_user("admin").post("custom-fields", body)
    assert response.status_code == 422, response.content
    assert field in str(response.json()["detail"])
    assert not CustomFieldDefinition.objects.exists()
