"""Balanced territories, the service: propose (scope, before/after), apply in one go through
the territory rule, refuse a stale proposal, and phones follow on their next sync."""

from __future__ import annotations

import random

import pytest

from fieldcrm.access import NotAllowed
from fieldcrm.accounts.models import Account
from fieldcrm.core.errors import DomainError
from fieldcrm.territories.balancing import StaleProposal, balance_apply, balance_propose
from fieldcrm.territories.services import territory_set_boundary
from tests.factories import make_account, square
from tests.fieldcrm.sync.test_sync import pull_all


@pytest.fixture
def crowded(world):
    """Territory A (rep1) holds a busy town near the border, B (rep2) a few quiet shops."""
    rng = random.Random(3)
    for i in range(40):
        make_account(f"Town {i}", lng=1.06 + rng.random() * 0.035, lat=42.03 + rng.random() * 0.04,
                     status="customer", visit_frequency_days=7, tier="A")  # fmt: skip
    for i in range(8):
        make_account(f"Quiet {i}", lng=1.12 + rng.random() * 0.07, lat=42.01 + rng.random() * 0.08,
                     status="customer", visit_frequency_days=28)  # fmt: skip
    return world


def test_proposal_balances_and_writes_nothing(crowded):
    before = dict(Account.objects.values_list("pk", "territory_id"))
    proposal = balance_propose(actor=crowded.manager, region_id=crowded.north.pk)
    assert dict(Account.objects.values_list("pk", "territory_id")) == before
    assert proposal["ratio_before"] > 5
    assert proposal["ratio_after"] < 1.15
    assert proposal["moved"] > 0 and proposal["accounts"] == 48
    rows = {row["territory"]: row for row in proposal["rows"]}
    assert rows["A"]["before"]["accounts"] == 40 and rows["A"]["reps"] == "rep1"
    assert rows["A"]["before"]["visits"] == 160.0  # 40 accounts × 4 visits in 4 weeks
    assert rows["A"]["before"]["service_h"] == 80.0  # × 30 min (tier A)
    assert all(row["after"]["drive_h"] > 0 for row in rows.values())
    assert set(proposal["boundaries"]) == {str(crowded.territory_a.pk),
                                           str(crowded.territory_b.pk)}  # fmt: skip


def test_the_regions_managers_planners_and_admins_propose_only_managers_apply(crowded):
    with pytest.raises(NotAllowed):
        balance_propose(actor=crowded.rep1, region_id=crowded.north.pk)
    proposal = balance_propose(actor=crowded.planner, region_id=crowded.north.pk)
    assert proposal["moved"] > 0
    with pytest.raises(NotAllowed):
        balance_apply(actor=crowded.planner, proposal=proposal)
    with pytest.raises(DomainError) as error:  # South is not the manager's
        balance_propose(actor=crowded.manager, region_id=crowded.south.pk)
    assert error.value.field == "region_id"
    with pytest.raises(DomainError) as error:
        balance_propose(actor=crowded.manager, region_id="x")
    assert error.value.field == "region_id"
    with pytest.raises(DomainError):  # South has one territory: nothing to balance
        balance_propose(actor=crowded.admin, region_id=crowded.south.pk)
    assert balance_propose(actor=crowded.admin, region_id=crowded.north.pk)["moved"] > 0


def _ids(**filters) -> set[str]:
    return {str(pk) for pk in Account.objects.filter(**filters).values_list("pk", flat=True)}


def test_apply_moves_accounts_by_the_territory_rule_and_phones_follow(crowded, as_user):
    rep1, rep2 = as_user("rep1"), as_user("rep2")
    _, c1 = pull_all(rep1)
    _, c2 = pull_all(rep2)
    proposal = balance_propose(actor=crowded.manager, region_id=crowded.north.pk)
    result = balance_apply(actor=crowded.manager, proposal=proposal)
    assert result["moved"] == proposal["moved"]
    to_b = _ids(territory=crowded.territory_b, name__startswith="Town")
    to_a = _ids(territory=crowded.territory_a, name__startswith="Quiet")
    assert to_b and len(to_b) + len(to_a) == result["moved"]
    for account in Account.objects.filter(territory__region=crowded.north):
        assert account.territory.boundary.intersects(account.location)
    # each phone drops the accounts that left its rep's territory and receives those that came
    for phone, cursor, left, came in ((rep1, c1, to_b, to_a), (rep2, c2, to_a, to_b)):
        merged, _ = pull_all(phone, cursor)
        assert set(merged["removed"].get("accounts", [])) == left
        assert {a["id"] for a in merged["changes"].get("accounts", [])} >= came


def test_a_stale_proposal_is_refused_and_nothing_changes(crowded):
    proposal = balance_propose(actor=crowded.manager, region_id=crowded.north.pk)
    territory_set_boundary(territory=crowded.territory_b, boundary=square(1.1, 42.0, 1.2, 42.09))
    before = dict(Account.objects.values_list("pk", "territory_id"))
    with pytest.raises(StaleProposal) as error:
        balance_apply(actor=crowded.manager, proposal=proposal)
    assert error.value.field == "proposal"
    assert dict(Account.objects.values_list("pk", "territory_id")) == before
    # a rep change makes it stale too
    proposal = balance_propose(actor=crowded.manager, region_id=crowded.north.pk)
    crowded.territory_b.reps.add(crowded.rep3)
    with pytest.raises(StaleProposal):
        balance_apply(actor=crowded.manager, proposal=proposal)


def test_a_failing_boundary_rolls_the_whole_apply_back(crowded):
    proposal = balance_propose(actor=crowded.manager, region_id=crowded.north.pk)
    bad = dict(proposal["boundaries"])
    bad[str(crowded.territory_b.pk)] = {
        "type": "MultiPolygon",
        "coordinates": [[[[1.1, 42.0], [1.2, 42.1], [1.2, 42.0], [1.1, 42.1], [1.1, 42.0]]]],
    }  # a bow tie
    a_before = crowded.territory_a.boundary
    with pytest.raises(Exception):  # noqa: B017,PT011 - the boundary's ValidationError
        balance_apply(actor=crowded.manager, proposal={**proposal, "boundaries": bad})
    crowded.territory_a.refresh_from_db()
    assert crowded.territory_a.boundary.equals(a_before)
    assert not _ids(territory=crowded.territory_b, name__startswith="Town")


def test_an_unreachable_road_router_is_named_not_a_crash(crowded, settings):
    settings.FIELDCRM_ROUTING_PROVIDER = "osrm"
    settings.FIELDCRM_OSRM_URL = "http://127.0.0.1:9"  # discard port: refused at once
    with pytest.raises(DomainError) as error:
        balance_propose(actor=crowded.manager, region_id=crowded.north.pk)
    assert error.value.field == "provider"


def test_keep_moves_fewer_accounts_than_fresh_and_lists_each_move(crowded):
    keep = balance_propose(actor=crowded.manager, region_id=crowded.north.pk)
    fresh = balance_propose(actor=crowded.manager, region_id=crowded.north.pk, method="fresh")
    assert keep["method"] == "keep" and fresh["method"] == "fresh"
    assert 0 < keep["moved"] <= fresh["moved"]
    assert keep["ratio_after"] <= 1.15
    a, b = str(crowded.territory_a.pk), str(crowded.territory_b.pk)
    moves = {m["account_id"]: m for m in keep["moves"]}
    assert len(moves) == keep["moved"]
    where = {str(pk): str(t) for pk, t in Account.objects.values_list("pk", "territory_id")}
    for account_id, move in moves.items():
        assert str(move["from_territory_id"]) == where[account_id]
        assert {str(move["from_territory_id"]), str(move["to_territory_id"])} == {a, b}
    for field, value in (("method", "best"), ("tolerance", 0.9), ("tolerance", -0.1)):
        with pytest.raises(DomainError) as error:
            balance_propose(actor=crowded.manager, region_id=crowded.north.pk, **{field: value})
        assert error.value.field == field
