"""The importer's duplicate index answers what account_duplicates answers, row for row."""

from __future__ import annotations

import random

from fieldcrm.accounts.duplicate_index import DuplicateIndex
from fieldcrm.accounts.selectors import account_duplicates
from tests.factories import make_account

NAMES = ["Bakery Koskinen", "Nhà thuốc Đức Minh", "Pharmacy Anna", "Hardware Virtanen",
         "Kiosk Lahti", "Cafe Aalto"]  # fmt: skip


def _variant(rng: random.Random, name: str) -> str:
    roll = rng.randrange(4)
    if roll == 0 and len(name) > 6:
        cut = rng.randrange(2, len(name) - 1)
        return name[:cut] + name[cut + 1 :]  # a letter dropped
    if roll == 1:
        return name.upper() + " Ltd"
    return name


def _point(rng: random.Random) -> tuple[float, float]:
    # Clustered near territory A's and B's border (and a few in the south region) so many
    # candidates fall within 100 m of each other and across load cells.
    if rng.random() < 0.1:
        return (1.05 + rng.uniform(-0.002, 0.002), 41.05 + rng.uniform(-0.002, 0.002))
    return (1.1 + rng.uniform(-0.003, 0.003), 42.05 + rng.uniform(-0.003, 0.003))


def test_the_index_gives_account_duplicates_answers_for_each_role(world):
    rng = random.Random(7)
    for _ in range(120):
        lng, lat = _point(rng)
        make_account(
            _variant(rng, rng.choice(NAMES)), lng=lng, lat=lat,
            email=f"shop{rng.randrange(30)}@example.com" if rng.random() < 0.4 else "",
            phone=f"+358 40 {rng.randrange(40):07d}" if rng.random() < 0.4 else "",
        )  # fmt: skip
    queries = []
    for _ in range(80):
        lng, lat = _point(rng)
        queries.append(
            {
                "name": _variant(rng, rng.choice(NAMES)),
                "email": f"SHOP{rng.randrange(30)}@example.com " if rng.random() < 0.5 else "",
                "phone": f"040 {rng.randrange(40):07d}" if rng.random() < 0.5 else "",
                "location": (lng, lat) if rng.random() < 0.9 else None,
            }
        )
    for actor in (world.manager, world.rep1, world.rep2, world.admin):
        index = DuplicateIndex(
            actor=actor,
            emails=[q["email"] for q in queries],
            phones=[q["phone"] for q in queries],
            locations=[q["location"] for q in queries if q["location"]],
        )
        found_any = 0
        for query in queries:
            expected = account_duplicates(actor=actor, limit=3, **query)
            got = index.duplicates(limit=3, **query)
            assert [(a.pk, why) for a, why in got] == [(a.pk, why) for a, why in expected]
            found_any += bool(got)
        assert found_any > 20  # the seeded data does exercise the rule


def test_accounts_saved_during_the_file_are_found_and_moved_ones_forgotten(world):
    index = DuplicateIndex(actor=world.manager, emails=["a@example.com"],
                           locations=[(1.05, 42.05), (1.15, 42.05)])  # fmt: skip
    assert index.duplicates(name="Bakery", email="a@example.com", location=(1.05, 42.05)) == []
    shop = make_account("Bakery", lng=1.05, lat=42.05, email="a@example.com")
    index.saved(shop)
    hits = index.duplicates(name="Bakery", email="a@example.com", location=(1.0501, 42.05))
    assert [(a.pk, why) for a, why in hits] == [(shop.pk, ["email", "name"])]
    shop.email, shop.location.x = "", 1.15  # an update moved it and dropped its e-mail
    index.saved(shop)
    assert index.duplicates(name="Bakery", email="a@example.com", location=(1.05, 42.05)) == []
    hits = index.duplicates(name="Bakery", location=(1.1501, 42.05))
    assert [(a.pk, why) for a, why in hits] == [(shop.pk, ["name"])]
