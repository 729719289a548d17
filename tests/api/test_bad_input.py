"""Bad input is a 4xx naming the field, never a 500, and leaves nothing behind (issue 15 items
9, 10 and 16): deep JSON, far dates, unknown time zones, NUL behind any content type, names of
invisible characters, oversized bodies and polygons."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.forms import modelform_factory

from fieldcrm.accounts.models import Account
from fieldcrm.core.geo import MAX_POLYGON_POINTS
from fieldcrm.territories.models import Region, Territory
from tests.factories import make_account


def _counts() -> dict[str, int]:
    # Sessions come and go with logins; every other table must be as it was.
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.label != "sessions.Session"
    }


def test_json_nested_900_deep_is_a_422_not_a_500(as_user, world):
    deep: dict = {}
    node = deep
    for _ in range(900):
        node["a"] = {}
        node = node["a"]
    before = _counts()
    response = as_user("manager").post("accounts", {"name": "Deep", "custom_fields": deep})
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert _counts() == before


@pytest.mark.parametrize("path", ["plans/candidates", "plans/generate"])
def test_a_date_years_ahead_is_refused_naming_date(as_user, world, path):
    planner = as_user("planner")
    if path == "plans/candidates":
        response = planner.get(f"{path}?region_id={world.north.pk}&date=9999-12-31")
    else:
        response = planner.post(path, {"region_id": world.north.pk, "date": "9999-12-31"})
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == "date"


def test_an_unknown_time_zone_is_refused_by_the_model_so_admin_and_api_agree(world):
    region = Region(name="Mars", timezone="Mars/Olympus")
    with pytest.raises(ValidationError) as caught:
        region.full_clean()
    assert "timezone" in caught.value.message_dict
    form_class = modelform_factory(
        Region, form=site._registry[Region].form, fields=["name", "timezone"]
    )
    form = form_class(data={"name": "Mars", "timezone": "Mars/Olympus"})
    assert not form.is_valid() and "timezone" in form.errors


@pytest.mark.parametrize(
    "content_type",
    # a photo part's type lets raw bytes through at PATCH /photos/{id} only, nowhere else
    ["text/plain", "application/x-www-form-urlencoded", "application/offset+octet-stream", ""],
)
def test_a_nul_hidden_behind_another_content_type_is_refused(client, world, content_type):
    client.force_login(world.manager)
    from django.middleware.csrf import get_token  # noqa: F401 - the session carries CSRF

    before = _counts()
    body = json.dumps({"name": "Shop\u0000evil", "location": {"lat": 42.05, "lng": 1.05}})
    response = client.generic(
        "POST", "/api/v1/accounts", body, content_type=content_type or None,
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )  # fmt: skip
    assert response.status_code in (403, 422), response.content  # CSRF or NUL: never stored
    assert _counts() == before
    assert not Account.objects.filter(name__startswith="Shop").exists()


def test_text_is_normalised_the_same_way_on_every_path(as_user, world):
    invisible = "\u200b\u200b\ufeff"
    response = as_user("manager").post("accounts", {"name": invisible})
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == "name"
    # The model itself (import, admin, sync) strips invisible edges and refuses NUL.
    account = make_account("\u200b Cafe\u0301 \u200d", lng=1.05, lat=42.05)
    assert account.name == "Café"  # NFC: e + combining acute is one character
    with pytest.raises(ValidationError):
        make_account("bad\x00name", lng=1.05, lat=42.05)


def test_a_body_over_the_limit_is_a_json_413_naming_the_body(as_user, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = as_user("manager").post("accounts", {"name": "x" * 20_000})
    assert response.status_code == 413, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_a_polygon_with_too_many_points_is_refused_naming_boundary(as_user, world):
    import math

    n = MAX_POLYGON_POINTS + 10
    ring = [
        [1.05 + 0.04 * math.cos(2 * math.pi * i / n), 42.05 + 0.04 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    ring.append(ring[0])
    before = Territory.objects.count()
    body = {"name": "Spiky", "region_id": world.north.pk,
            "boundary": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip
    response = as_user("manager").post("territories", body)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == "boundary"
    assert Territory.objects.count() == before


@pytest.mark.parametrize(
    ("operation", "body", "field"),
    [
        ("balance", {"method": "best"}, "method"),
        ("balance", {"tolerance": 0.9}, "tolerance"),
        ("balance", {"tolerance": "\u0000"}, "tolerance"),
        ("balance", {"shape": "square"}, "shape"),
        ("balance/apply", {}, "proposal_token"),
        ("balance/apply", {"proposal_token": ""}, "proposal_token"),
        ("balance/apply", {"proposal_token": "not.a.token"}, "proposal_token"),
        ("balance/apply", {"proposal_token": ["x"]}, "proposal_token"),
    ],
)
def test_balanced_territories_refuse_bad_parameters_naming_the_field(
    as_user, world, operation, body, field
):
    before = _counts()
    response = as_user("manager").post(f"regions/{world.north.pk}/{operation}", body)
    assert response.status_code == 422, response.content
    assert any(field in e["loc"] for e in response.json()["detail"]), response.content
    assert _counts() == before


@pytest.mark.parametrize(
    ("query", "field"),
    [("close_month=2027-13", "close_month"), ("close_month=9999-99", "close_month"),
     ("close_month=%00", "close_month"), ("owner_id=1e3", "owner_id"),
     ("region_id=99999999999999999999", "region_id"), ("owner=1", "owner")],
)  # fmt: skip
def test_the_boards_filters_refuse_bad_values_naming_the_field(as_user, world, query, field):
    from fieldcrm.deals.models import Pipeline

    pipeline = Pipeline.objects.create(name="Sweep")
    response = as_user("manager").get(f"pipelines/{pipeline.pk}/board?{query}")
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == field
