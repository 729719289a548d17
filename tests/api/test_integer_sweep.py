"""Every integer the API reads, in every operation of the schema, refuses a value beyond 64 bits
with a 422 naming the field (never a 500), and nothing is written.

Regression: SQLite raises OverflowError for such integers in foreign-key and ``__in`` lookups
(``/users?region=9223372036854775808``, ``PATCH /territories/{id} {"rep_ids": [2**70]}``, and
22 more operation/parameter pairs answered 500). This sweeps the class deterministically; the
random schemathesis run found the first one only by chance.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps

from fieldcrm.api import api
from fieldcrm.users.services import token_create
from tests.factories import make_account

HUGE = 2**64 + 1
SCHEMA = api.get_openapi_schema()
COMPONENTS = SCHEMA["components"]["schemas"]


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = COMPONENTS[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _is_int(node: dict) -> bool:
    node = _resolve(node)
    if node.get("type") == "integer":
        return True
    return any(_is_int(n) for n in node.get("anyOf", []))


def _is_int_list(node: dict) -> bool:
    node = _resolve(node)
    if node.get("type") == "array":
        return _is_int(node.get("items", {}))
    return any(_is_int_list(n) for n in node.get("anyOf", []))


def _cases():
    for path, item in SCHEMA["paths"].items():
        for method, op in item.items():
            for param in op.get("parameters", []):
                if param["in"] == "query" and (_is_int(param["schema"]) or _is_int_list(
                    param["schema"])):  # fmt: skip
                    yield pytest.param(method, path, "query", param["name"],
                                       id=f"{op['operationId']}-{param['name']}")  # fmt: skip
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                props = _resolve(body["schema"]).get("properties", {})
                for name, node in props.items():
                    if _is_int(node) or _is_int_list(node):
                        yield pytest.param(method, path, "body", name,
                                           id=f"{op['operationId']}-{name}")  # fmt: skip


CASES = list(_cases())


def test_the_sweep_covers_the_integers_that_were_found():
    ids = {c.id for c in CASES}
    assert {"list_users-region", "update_territory-rep_ids", "list_deals-stage",
            "get_pipeline_board-owner_id", "get_pipeline_board-region_id"} <= ids  # fmt: skip
    assert len(CASES) > 40


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


@pytest.fixture
def admin_token(world):
    make_account("Some shop", lng=1.05, lat=42.05)
    return token_create(user=world.admin, name="sweep")[1]


@pytest.mark.parametrize(("method", "path", "where", "name"), CASES)
def test_an_integer_beyond_64_bits_is_a_422_naming_the_field(
    client, admin_token, world, method, path, where, name
):
    url = "/api" + re.sub(r"\{[^}]+\}", "1", path.removeprefix("/api"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {admin_token}"}
    before = _counts()
    value = [HUGE] if name.endswith("_ids") else HUGE
    if where == "query":
        response = getattr(client, method)(url, {name: value}, **headers)
    else:
        response = getattr(client, method)(
            url, {name: value}, content_type="application/json", **headers
        )
    assert response.status_code < 500, response.content
    if response.status_code == 422:
        locs = [e["loc"] for e in response.json()["detail"]]
        assert any(name in map(str, loc) for loc in locs), locs
    assert _counts() == before


@pytest.mark.parametrize("operation", ["balance", "balance/apply"])
def test_a_region_id_beyond_64_bits_in_a_balance_path_is_missing_not_a_500(
    client, admin_token, world, operation
):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {admin_token}"}
    before = _counts()
    answers = [
        client.post(f"/api/v1/regions/{region_id}/{operation}",
                    {"proposal_token": "x"} if operation.endswith("apply") else {},
                    content_type="application/json", **headers)
        for region_id in (HUGE, 987654321)
    ]  # fmt: skip
    assert [r.status_code for r in answers] == [404, 404]
    assert answers[0].content == answers[1].content
    # an integer where the proposal's tolerance goes: a 422 naming it
    response = client.post(f"/api/v1/regions/{world.north.pk}/balance", {"tolerance": HUGE},
                           content_type="application/json", **headers)  # fmt: skip
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "tolerance"
    assert _counts() == before
