"""POST /api/v1/regions/{id}/balance (a dry run with a signed proposal token) and
.../balance/apply: who may do which, the 409 of a region changed since, 422s naming the field,
and applying through the page's service (audit rows, phones follow)."""

from __future__ import annotations

import pytest
from django.core import signing

from fieldcrm.accounts.models import Account
from fieldcrm.audit.models import FieldChange
from fieldcrm.territories.balancing import TOKEN_SALT
from fieldcrm.territories.services import territory_set_boundary
from tests.factories import square
from tests.fieldcrm.sync.test_sync import pull_all
from tests.fieldcrm.territories.test_balancing import crowded  # noqa: F401 - the fixture


def _url(region_id, apply=False) -> str:
    return f"regions/{region_id}/balance" + ("/apply" if apply else "")


def _where() -> dict[str, int]:
    return {str(pk): t for pk, t in Account.objects.values_list("pk", "territory_id")}


def test_propose_is_a_dry_run_and_apply_moves_exactly_the_listed_accounts(
    as_user,
    crowded,  # noqa: F811
):
    manager, rep1 = as_user("manager"), as_user("rep1")
    _, cursor = pull_all(rep1)
    before = _where()
    response = manager.post(_url(crowded.north.pk), {})
    assert response.status_code == 200, response.content
    body = response.json()
    assert _where() == before  # nothing written
    assert body["method"] == "keep" and body["moved"] == len(body["moves"]) > 0
    assert body["ratio_before"] > 5 and body["ratio_after"] <= 1.15
    assert {row["territory_id"] for row in body["rows"]} == {crowded.territory_a.pk,
                                                             crowded.territory_b.pk}  # fmt: skip
    assert all(set(row) >= {"before", "after"} for row in body["rows"])
    for move in body["moves"]:
        assert before[move["account_id"]] == move["from_territory_id"]
    done = manager.post(_url(crowded.north.pk, apply=True),
                        {"proposal_token": body["proposal_token"]})  # fmt: skip
    assert done.status_code == 200, done.content
    assert done.json() == {"region_id": crowded.north.pk, "moved": body["moved"]}
    after = _where()
    assert {pk for pk in after if after[pk] != before[pk]} == {
        m["account_id"] for m in body["moves"]
    }
    for move in body["moves"]:
        assert after[move["account_id"]] == move["to_territory_id"]
    # the same service as the page: the audit keeps each move, the phones follow
    moved = {m["account_id"] for m in body["moves"]}
    audited = set(FieldChange.objects.filter(record_type="account", field="territory",
                                             record_id__in=moved)
                  .values_list("record_id", flat=True))  # fmt: skip
    assert audited == moved
    merged, _ = pull_all(rep1, cursor)
    left = {m["account_id"] for m in body["moves"]
            if m["from_territory_id"] == crowded.territory_a.pk}  # fmt: skip
    assert set(merged["removed"].get("accounts", [])) == left


def test_planners_propose_but_may_not_apply_reps_do_neither(as_user, crowded):  # noqa: F811
    planner = as_user("planner")
    response = planner.post(_url(crowded.north.pk), {})
    assert response.status_code == 200, response.content
    before = _where()
    refused = planner.post(_url(crowded.north.pk, apply=True),
                           {"proposal_token": response.json()["proposal_token"]})  # fmt: skip
    assert refused.status_code == 403 and refused.json()["detail"]
    assert _where() == before
    rep = as_user("rep1")
    assert rep.post(_url(crowded.north.pk), {}).status_code == 403
    # a region outside the manager's scope is missing, like one that does not exist
    manager = as_user("manager")
    outside = manager.post(_url(crowded.south.pk), {})
    missing = manager.post(_url(987654321), {})
    assert outside.status_code == missing.status_code == 404
    assert outside.content == missing.content


def test_a_token_whose_region_changed_is_a_409_and_nothing_changes(as_user, crowded):  # noqa: F811
    manager = as_user("manager")
    token = manager.post(_url(crowded.north.pk), {}).json()["proposal_token"]
    territory_set_boundary(territory=crowded.territory_b, boundary=square(1.1, 42.0, 1.2, 42.09))
    before = _where()
    response = manager.post(_url(crowded.north.pk, apply=True), {"proposal_token": token})
    assert response.status_code == 409, response.content
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "proposal_token"] and "changed" in error["msg"]
    assert _where() == before


def test_bad_parameters_are_422s_naming_the_field(as_user, crowded):  # noqa: F811
    manager = as_user("manager")
    north = crowded.north.pk
    cases = [
        (_url(north), {"method": "best"}, "method"),
        (_url(north), {"tolerance": 2}, "tolerance"),
        (_url(north), {"tolerance": "x"}, "tolerance"),
        (_url(north), {"seed": 3}, "seed"),
        (_url(north, apply=True), {}, "proposal_token"),
        (_url(north, apply=True), {"proposal_token": "forged"}, "proposal_token"),
    ]
    before = _where()
    for url, body, field in cases:
        response = manager.post(url, body)
        assert response.status_code == 422, (body, response.content)
        locs = [e["loc"] for e in response.json()["detail"]]
        assert any(field in loc for loc in locs), (body, locs)
    # a genuine token for another region is refused, naming the token
    token = manager.post(_url(north), {}).json()["proposal_token"]
    data = signing.loads(token, salt=TOKEN_SALT)
    other = signing.dumps({**data, "region_id": crowded.south.pk}, salt=TOKEN_SALT,
                          compress=True)  # fmt: skip
    response = manager.post(_url(north, apply=True), {"proposal_token": other})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "proposal_token"
    assert _where() == before


@pytest.mark.parametrize("method", ["fresh", "keep"])
def test_both_methods_propose(as_user, crowded, method):  # noqa: F811
    response = as_user("admin").post(_url(crowded.north.pk), {"method": method})
    assert response.status_code == 200, response.content
    assert response.json()["method"] == method
