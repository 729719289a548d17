"""The phones' offline address indexes: one per territory of the caller's scope, at most
5 MB, versioned, and another rep's territory answers like a missing one."""

from __future__ import annotations

from fieldcrm.geocoding import packs
from tests.fieldcrm.geocoding.conftest import EAST, MIDDLE, NORTH, SOUTH, WEST


def test_a_rep_lists_the_indexes_of_their_own_territories(andorra, embedded_geocoder, as_user):
    items = as_user("rep1").get("geocoding/address-indexes").json()["items"]
    assert [i["territory_id"] for i in items] == [andorra.territory_a.pk]
    manager = as_user("manager").get("geocoding/address-indexes").json()["items"]
    assert {i["territory_id"] for i in manager} == {andorra.territory_a.pk, andorra.territory_b.pk}


def test_the_index_holds_the_territorys_addresses_and_streets(andorra, embedded_geocoder,
                                                              as_user):  # fmt: skip
    answer = as_user("rep1").get(f"geocoding/address-indexes/{andorra.territory_a.pk}")
    assert answer.status_code == 200
    pack = answer.json()
    assert 0 < pack["bytes"] <= packs.BUDGET_BYTES and not pack["truncated"]
    names = {tuple(n) for n in pack["names"]}
    assert ("Carrer de la Vall", "Andorra la Vella") in names
    west, south, east, north = packs.grown((WEST, SOUTH, MIDDLE, NORTH))
    for _name, _number, lat, lng in pack["addresses"]:
        assert south <= lat / 1e5 <= north and west <= lng / 1e5 <= east
    assert pack["streets"] and all(len(coords) >= 4 for _n, coords in pack["streets"])


def test_another_reps_territory_answers_like_a_missing_one(andorra, embedded_geocoder, as_user):
    rep1 = as_user("rep1")
    other = rep1.get(f"geocoding/address-indexes/{andorra.territory_b.pk}")
    missing = rep1.get("geocoding/address-indexes/999999")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


def test_the_version_changes_when_the_boundary_moves(andorra, embedded_geocoder, as_user):
    from tests.factories import square

    before = as_user("rep1").get("geocoding/address-indexes").json()["items"][0]["version"]
    andorra.territory_a.boundary = square(WEST, SOUTH, MIDDLE, (SOUTH + NORTH) / 2)
    andorra.territory_a.save()
    after = as_user("rep1").get("geocoding/address-indexes").json()["items"][0]["version"]
    assert before != after


def test_a_pack_over_its_budget_is_cut_streets_first(embedded_geocoder):
    full = packs.territory_pack(embedded_geocoder, box=(WEST, SOUTH, EAST, NORTH))
    cut = packs.territory_pack(embedded_geocoder, box=(WEST, SOUTH, EAST, NORTH),
                               budget=full["bytes"] // 2)  # fmt: skip
    assert cut["truncated"] and cut["bytes"] <= full["bytes"] // 2
    assert len(cut["addresses"]) == len(full["addresses"]) > len(cut["streets"])


def test_no_embedded_geocoder_lists_nothing(andorra, as_user):
    assert as_user("rep1").get("geocoding/address-indexes").json() == {"items": []}
