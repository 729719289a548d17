"""Balanced territories (routing/territories.py): balance, one group per account, valid
boundaries tiling the area and covering every point, deterministic for a seed."""

from __future__ import annotations

import random

import pytest
from shapely.geometry import Point, box
from shapely.ops import unary_union

from routing import GreatCircleProvider, Location
from routing.territories import Group, Options, Site, balance, calibrate, evaluate, ratio

CLIP = box(1.39, 42.39, 1.71, 42.66)


def _instance(n: int, seed: int) -> list[Site]:
    """A dense town and sparse countryside, mixed cadences and visit lengths (seeded)."""
    rng = random.Random(seed)
    sites = []
    for i in range(n):
        if rng.random() < 0.6:
            lat, lon = 42.5 + rng.gauss(0, 0.01), 1.52 + rng.gauss(0, 0.015)
        else:
            lat, lon = 42.4 + rng.random() * 0.25, 1.4 + rng.random() * 0.3
        lat, lon = min(max(lat, 42.395), 42.655), min(max(lon, 1.395), 1.705)
        sites.append(Site(f"s{i}", lat, lon, rng.choice([0, 1, 2, 4]), rng.choice([15, 20, 30])))
    return sites


def _stripes(sites: list[Site], k: int) -> dict[str, str]:
    """Today's territories: north–south stripes of equal width, badly balanced (the town)."""
    return {s.id: f"g{min(k - 1, int((s.lon - 1.39) / 0.32 * k))}" for s in sites}


@pytest.mark.parametrize(("n", "k", "seed", "tolerance"), [(400, 3, 1, 1.05), (1200, 5, 2, 1.05)])
def test_balances_workload_within_tolerance(n, k, seed, tolerance):
    sites = _instance(n, seed)
    groups = [Group(f"g{j}") for j in range(k)]
    current = _stripes(sites, k)
    result = balance(sites, groups, clip=CLIP, current=current, options=Options(seed=seed))
    before = evaluate(sites, groups, current, seconds_per_metre=result.seconds_per_metre)
    assert ratio(before, groups) > 2.0  # the stripes are badly balanced
    assert ratio(result.loads, groups) <= tolerance
    assert all(load.drive_min > 0 for load in result.loads.values())
    # every account in exactly one group, the loads count every account once
    assert set(result.assignment) == {s.id for s in sites}
    assert sum(load.accounts for load in result.loads.values()) == n


def test_boundaries_are_valid_tile_the_area_and_cover_their_points():
    sites = _instance(600, 3)
    groups = [Group(f"g{j}") for j in range(4)]
    result = balance(sites, groups, clip=CLIP, current=_stripes(sites, 4))
    shapes = [result.boundaries[g.id] for g in groups]
    assert all(s.is_valid and not s.is_empty and s.geom_type == "MultiPolygon" for s in shapes)
    assert all(len(s.geoms) == 1 for s in shapes)  # compact: one piece each
    union = unary_union(shapes)
    assert union.symmetric_difference(CLIP).area < 1e-9 * CLIP.area
    for i, a in enumerate(shapes):
        for b in shapes[i + 1 :]:
            assert a.intersection(b).area < 1e-12
    for site in sites:
        assert result.boundaries[result.assignment[site.id]].covers(Point(site.lon, site.lat))


def test_accounts_at_the_same_point_stay_together_and_reps_weigh_shares():
    sites = [*_instance(300, 4), *(Site(f"twin{i}", 42.5, 1.52, 2, 20) for i in range(5))]
    groups = [Group("big", reps=2), Group("small", reps=1)]
    result = balance(sites, groups, clip=CLIP)
    assert len({result.assignment[f"twin{i}"] for i in range(5)}) == 1
    big, small = result.loads["big"].total_min, result.loads["small"].total_min
    assert big / small == pytest.approx(2.0, rel=0.06)


def test_deterministic_for_a_seed():
    sites = _instance(500, 5)
    groups = [Group(f"g{j}", home=Location(42.45 + 0.05 * j, 1.45 + 0.05 * j)) for j in range(3)]
    runs = [balance(sites, groups, clip=CLIP, options=Options(seed=7)) for _ in range(2)]
    assert runs[0].assignment == runs[1].assignment
    assert all(runs[0].boundaries[g.id].equals(runs[1].boundaries[g.id]) for g in groups)


def test_drive_uses_the_providers_speed():
    points = [Location(s.lat, s.lon) for s in _instance(100, 6)]
    slow = calibrate(GreatCircleProvider(speed_kmh=20.0), points)
    fast = calibrate(GreatCircleProvider(speed_kmh=40.0), points)
    assert slow == pytest.approx(2 * fast, rel=0.01)
    assert fast == pytest.approx(1.3 / (40 / 3.6), rel=0.01)  # detour 1.3 at 40 km/h
    sites = _instance(200, 6)
    groups = [Group("a"), Group("b")]
    assignment = {s.id: "a" if s.lon < 1.55 else "b" for s in sites}
    loads_slow = evaluate(sites, groups, assignment, seconds_per_metre=slow)
    loads_fast = evaluate(sites, groups, assignment, seconds_per_metre=fast)
    assert loads_slow["a"].drive_min == pytest.approx(2 * loads_fast["a"].drive_min, rel=0.01)
    assert loads_slow["a"].service_min == loads_fast["a"].service_min


def test_edge_cases_refuse_or_answer_plainly():
    with pytest.raises(ValueError):
        balance([], [])
    with pytest.raises(ValueError):
        balance([Site("x", 42.5, 1.5, 1, 20)] * 2, [Group("a")])
    one = balance([Site("x", 42.5, 1.5, 1, 20)], [Group("a"), Group("b")], clip=CLIP)
    assert one.assignment == {"x": "a"} or one.assignment == {"x": "b"}
    assert one.boundaries[one.assignment["x"]].covers(Point(1.5, 42.5))


def _moved(sites, current, assignment) -> int:
    return sum(1 for s in sites if current[s.id] != assignment[s.id])


@pytest.mark.parametrize(("n", "k", "seed"), [(600, 3, 11), (1500, 4, 12)])
def test_keep_in_place_reaches_the_tolerance_moving_fewer_accounts_than_fresh(n, k, seed):
    sites = _instance(n, seed)
    groups = [Group(f"g{j}") for j in range(k)]
    current = _stripes(sites, k)
    keep = balance(sites, groups, clip=CLIP, current=current,
                   options=Options(seed=seed, method="keep", tolerance=0.05))  # fmt: skip
    fresh = balance(sites, groups, clip=CLIP, current=current,
                    options=Options(seed=seed, method="fresh"))  # fmt: skip
    assert ratio(keep.loads, groups) <= 1.05 + 1e-9
    assert 0 < _moved(sites, current, keep.assignment) < _moved(sites, current, fresh.assignment)
    # the boundaries still tile the area, without overlap, and hold their accounts
    shapes = [keep.boundaries[g.id] for g in groups]
    assert all(s.is_valid and not s.is_empty for s in shapes)
    assert unary_union(shapes).symmetric_difference(CLIP).area < 1e-9 * CLIP.area
    for site in sites:
        assert keep.boundaries[keep.assignment[site.id]].covers(Point(site.lon, site.lat))


def test_keep_in_place_leaves_a_balanced_cut_alone_and_a_looser_tolerance_moves_less():
    sites = _instance(800, 13)
    groups = [Group(f"g{j}") for j in range(3)]
    balanced = balance(sites, groups, clip=CLIP, current=_stripes(sites, 3),
                       options=Options(method="fresh"))  # fmt: skip
    again = balance(sites, groups, clip=CLIP, current=dict(balanced.assignment),
                    options=Options(method="keep", tolerance=0.05))  # fmt: skip
    assert again.assignment == balanced.assignment and again.moves == 0
    current = _stripes(sites, 3)
    tight = balance(sites, groups, clip=CLIP, current=current,
                    options=Options(tolerance=0.02))  # fmt: skip
    loose = balance(sites, groups, clip=CLIP, current=current,
                    options=Options(tolerance=0.2))  # fmt: skip
    assert ratio(tight.loads, groups) <= 1.02 + 1e-9 and ratio(loose.loads, groups) <= 1.2
    assert _moved(sites, current, loose.assignment) < _moved(sites, current, tight.assignment)


def test_keep_in_place_works_across_a_gap_between_territories():
    # Two towns 20 km apart (valleys): no account has a near neighbour in the other group, so
    # the moves go across the gap (Delaunay neighbours); west is busy, east quiet.
    rng = random.Random(14)
    west = [Site(f"w{i}", 42.5 + rng.gauss(0, 0.005), 1.42 + rng.gauss(0, 0.005), 4, 30)
            for i in range(200)]  # fmt: skip
    east = [Site(f"e{i}", 42.5 + rng.gauss(0, 0.005), 1.66 + rng.gauss(0, 0.005), 1, 15)
            for i in range(60)]  # fmt: skip
    sites = west + east
    groups = [Group("west"), Group("east")]
    current = {s.id: "west" if s.id.startswith("w") else "east" for s in sites}
    result = balance(sites, groups, clip=CLIP, current=current, options=Options(seed=14))
    assert ratio(result.loads, groups) <= 1.05 + 1e-9
    assert all(result.assignment[s.id] == "east" for s in east)  # the quiet town stays


def test_keep_in_place_is_deterministic_and_falls_back_to_fresh_without_a_cut():
    sites = _instance(700, 15)
    groups = [Group(f"g{j}") for j in range(3)]
    current = _stripes(sites, 3)
    runs = [balance(sites, groups, clip=CLIP, current=current, options=Options(seed=3))
            for _ in range(2)]  # fmt: skip
    assert runs[0].assignment == runs[1].assignment
    # a group with no account today: nothing to keep, the region is cut afresh
    empty = {sid: ("g0" if gid == "g2" else gid) for sid, gid in current.items()}
    kept = balance(sites, groups, clip=CLIP, current=empty, options=Options(seed=3))
    fresh = balance(sites, groups, clip=CLIP, current=empty,
                    options=Options(seed=3, method="fresh"))  # fmt: skip
    assert kept.assignment == fresh.assignment
