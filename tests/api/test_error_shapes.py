"""Small contract slips: unknown API paths answer JSON, /auth/me lists each region once."""

import pytest
from django.test import Client


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v2/accounts", "/api/v1/accounts/1/2/3/4", "/api/v1/"]
)
def test_unknown_paths_under_the_api_answer_json_404(db, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_me_lists_each_region_once_for_a_manager_who_is_also_a_member(as_user, world):
    world.north.members.add(world.manager)  # manages North and is listed as a member too
    body = as_user("manager").get("auth/me").json()
    assert body["region_ids"] == sorted(set(body["region_ids"]))
    assert body["region_ids"].count(world.north.pk) == 1


def test_the_api_root_leads_to_its_documentation(db):
    response = Client().get("/api/")
    assert response.status_code == 302 and response["Location"] == "/api/docs"
