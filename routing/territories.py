"""Balanced territories: cut a region's accounts into k groups of even workload, compact, and
draw each group's boundary.

Pure Python (numpy, scipy, shapely, OR-Tools' min-cost flow); never imports Django.

Workload of a group, in minutes per period::

    service  = Σ visits_i × service_min_i          (visits due per period by cadence)
    drive    = (2 · r̄ · N / c  +  β · √(N · A)) × seconds-per-metre / 60

with N the group's visits per period, c the visits a rep makes in a day, r̄ the visit-weighted
mean distance from the rep's home (the group's centre when there is none) to the accounts, A
the area of the accounts' convex hull and β = 0.7124 the Beardwood–Halton–Hammersley constant.
This is Daganzo's (1984) estimate of the distance of tours of at most c stops through N points
spread over A: a line-haul to the area and back each day, plus the length of one tour through
all the points. Why an estimate rather than routes: the period's days are not planned yet, and
the estimate is smooth in the group's shape, which the search below moves one account at a
time. The seconds per metre come from the configured provider (`calibrate`): its matrix over a
seeded sample of the accounts (and homes) divided by the great-circle metres of the same pairs,
so OSRM's or the road graph's speeds and detours are the ones that count.

Method (deterministic for a seed), ``Options.method``: "keep" (the default, with today's
assignment given) starts from today's groups and moves only border units until every group
is within ``Options.tolerance`` (``_rebalance``: the heaviest gives, the lightest takes, a
layer of the border at a time), absorbing pieces the moves cut off while the balance holds,
and never moves more accounts than "fresh" would. "fresh": balanced k-means — Lloyd
iterations whose assignment step is a capacitated transport problem solved exactly by
OR-Tools' min-cost flow (each group takes its share of the workload, every account goes to the
cheapest centre by squared distance) — then a boundary-move polish on the full workload
(drive included): accounts on a border move to the neighbouring group when that lowers the
larger of the two loads. Accounts at the same point are one site (a boundary cannot split
them). Boundaries are the Voronoi cells of the sites merged per group and clipped to the
given area, so the groups tile it exactly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import shapely
from ortools.graph.python import min_cost_flow
from scipy.spatial import ConvexHull, Delaunay, QhullError, cKDTree
from shapely.affinity import affine_transform
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from routing.matrix import EARTH_RADIUS_M, haversine_m
from routing.model import UNREACHABLE, Location, Provider

BHH = 0.7124  # Beardwood–Halton–Hammersley: TSP length ≈ β √(n A) for n random points in A
_SCALE = 100  # workload in hundredths of a minute for the integer flow
_NEIGHBOURS = 8  # a site is on a border when _ON_BORDER of its nearest sites are in another group
_ON_BORDER = 3
_LAYER = 64  # at most this many border units move in one rebalancing step
_CLOSE = 0.1  # ... and together close at most this share of the gap between the two groups
_ROUNDS = 8  # keep-in-place: at most this many rounds of absorbing cut-off pieces


@dataclass(frozen=True)
class Site:
    """An account: where it is and its workload per period (visits due × minutes a visit)."""

    id: str
    lat: float
    lon: float
    visits: float  # visits due per period by its cadence (0: none due)
    service_min: float  # minutes a visit takes

    @property
    def service_load(self) -> float:
        return self.visits * self.service_min


@dataclass(frozen=True)
class Group:
    """A territory to fill: its id, how many reps share it (its share of the work), and the
    home the drive estimate starts from (None: the group's own centre)."""

    id: str
    reps: int = 1
    home: Location | None = None


@dataclass(frozen=True)
class Options:
    seed: int = 0
    visits_per_day: float = 8.0  # c in the drive estimate
    lloyd_iterations: int = 25
    polish_moves: int = 4000  # at most this many boundary moves
    slack: float = 0.01  # the flow's capacity above each group's exact share (rounding room)
    # "keep": start from today's assignment and move only the border accounts needed to bring
    # every group within ``tolerance`` (max ÷ min workload per rep ≤ 1 + tolerance);
    # "fresh": re-partition from scratch (balanced k-means, then the polish).
    method: str = "keep"
    tolerance: float = 0.05


@dataclass(frozen=True)
class Load:
    """One group's workload per period and its spread."""

    accounts: int
    visits: float
    service_min: float
    drive_min: float
    spread_km: float  # visit-weighted mean distance of its accounts to their centre

    @property
    def total_min(self) -> float:
        return self.service_min + self.drive_min


@dataclass(frozen=True)
class Balanced:
    assignment: Mapping[str, str]  # site id -> group id
    loads: Mapping[str, Load]  # group id -> load
    boundaries: Mapping[str, MultiPolygon]  # group id -> boundary (lon/lat), empty if no site
    seconds_per_metre: float
    iterations: int = 0
    moves: int = 0
    notes: tuple[str, ...] = field(default=())


def calibrate(
    provider: Provider, points: Sequence[Location], *, seed: int = 0, sample: int = 40
) -> float:
    """Seconds of driving per great-circle metre on ``provider``, from its matrix over a
    seeded sample of ``points`` (one matrix call of at most ``sample`` points)."""
    unique = sorted(set(points), key=lambda p: (p.lat, p.lon))
    if len(unique) > sample:
        unique = random.Random(seed).sample(unique, sample)
    if len(unique) < 2:
        return _default_spm()
    matrix = provider.matrix(unique)
    lat = np.array([p.lat for p in unique])
    lon = np.array([p.lon for p in unique])
    metres = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    duration = np.asarray(matrix.duration_s, dtype=float)
    ok = (metres > 1.0) & (np.asarray(matrix.duration_s) < UNREACHABLE)
    if not ok.any():
        return _default_spm()
    return float(duration[ok].sum() / metres[ok].sum())


def _default_spm() -> float:
    from routing.matrix import DEFAULT_PROVIDER

    return DEFAULT_PROVIDER.detour_factor / (DEFAULT_PROVIDER.speed_kmh / 3.6)


# ----------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class _Frame:
    """A local equirectangular frame in metres: affine in (lon, lat), so shapes drawn in it
    map back to degrees exactly by the inverse affine transform."""

    lat0: float
    lon0: float

    @property
    def kx(self) -> float:
        return EARTH_RADIUS_M * math.radians(1.0) * math.cos(math.radians(self.lat0))

    @property
    def ky(self) -> float:
        return EARTH_RADIUS_M * math.radians(1.0)

    def to_xy(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return np.column_stack(((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky))

    def to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        return affine_transform(geom, [1 / self.kx, 0, 0, 1 / self.ky, self.lon0, self.lat0])

    def from_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        return affine_transform(
            geom, [self.kx, 0, 0, self.ky, -self.lon0 * self.kx, -self.lat0 * self.ky]
        )


class _Units:
    """Sites merged by location: the unit of assignment (a boundary cannot split a point)."""

    def __init__(self, sites: Sequence[Site]) -> None:
        by_point: dict[tuple[float, float], list[Site]] = {}
        for site in sorted(sites, key=lambda s: s.id):
            by_point.setdefault((site.lat, site.lon), []).append(site)
        self.keys = sorted(by_point)
        self.members = [by_point[k] for k in self.keys]
        lat = np.array([k[0] for k in self.keys], dtype=float)
        lon = np.array([k[1] for k in self.keys], dtype=float)
        self.lat, self.lon = lat, lon
        self.frame = _Frame(float(lat.mean()) if len(lat) else 0.0,
                            float(lon.mean()) if len(lon) else 0.0)  # fmt: skip
        self.xy = self.frame.to_xy(lat, lon)
        self.visits = np.array([sum(s.visits for s in m) for m in self.members], dtype=float)
        self.service = np.array([sum(s.service_load for s in m) for m in self.members])
        self.counts = np.array([len(m) for m in self.members], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.keys)


class _Drive:
    """The drive estimate of the module docstring, per group, in minutes."""

    def __init__(self, units: _Units, groups: Sequence[Group], spm: float, c: float) -> None:
        self.units, self.spm, self.c = units, spm, c
        frame = units.frame
        self.homes: list[np.ndarray | None] = [
            None if g.home is None
            else frame.to_xy(np.array([g.home.lat]), np.array([g.home.lon]))[0]
            for g in groups
        ]  # fmt: skip

    def centre(self, g: int, idx: np.ndarray) -> np.ndarray:
        home = self.homes[g]
        if home is not None:
            return home
        return _centroid(self.units, idx)

    def load(self, g: int, idx: np.ndarray) -> Load:
        u = self.units
        if len(idx) == 0:
            return Load(0, 0.0, 0.0, 0.0, 0.0)
        visits = u.visits[idx]
        n = float(visits.sum())
        pts = u.xy[idx]
        service = float(u.service[idx].sum())
        accounts = int(u.counts[idx].sum())
        mid = _centroid(u, idx)
        spread = _weighted_mean(np.hypot(*(pts - mid).T), visits) / 1000.0
        if n <= 0:
            return Load(accounts, 0.0, service, 0.0, spread)
        start = self.centre(g, idx)
        r_bar = _weighted_mean(np.hypot(*(pts - start).T), visits)
        area = _hull_area(pts)
        metres = 2.0 * r_bar * n / self.c + BHH * math.sqrt(n * area)
        return Load(accounts, n, service, metres * self.spm / 60.0, spread)

    def marginals(
        self, g: int, cand: np.ndarray, load: Load, idx: np.ndarray, area: float | None = None
    ) -> np.ndarray:
        """What units ``cand`` each add to (or take from) group ``g``'s load: service plus the
        derivative of the drive estimate in their visits (line-haul from the centre, and the
        local tour's share ∂/∂N β√(NA) = β/2 √(A/N)). Vectorised: the polish scores every
        border unit of a group at once."""
        u = self.units
        visits = u.visits[cand]
        start = self.centre(g, idx)
        r = np.hypot(*(u.xy[cand] - start).T)
        n = max(load.visits, 1e-9)
        if area is None:
            area = _hull_area(u.xy[idx]) if len(idx) else 0.0
        metres = visits * (2.0 * r / self.c + 0.5 * BHH * math.sqrt(area / n))
        return np.asarray(u.service[cand] + metres * self.spm / 60.0, dtype=float)


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    total = float(weights.sum())
    if total <= 0:
        return float(values.mean()) if len(values) else 0.0
    return float((values * weights).sum() / total)


def _centroid(units: _Units, idx: np.ndarray) -> np.ndarray:
    pts = units.xy[idx]
    w = units.visits[idx] + 1e-6  # accounts with no visit due still pull a little
    return np.asarray((pts * w[:, None]).sum(axis=0) / w.sum(), dtype=float)


def _multipoint(pts: np.ndarray) -> MultiPoint:
    # shapely's vectorised constructor: a MultiPoint(list of tuples) is ~40× slower.
    geom = shapely.multipoints(pts)
    assert isinstance(geom, MultiPoint)
    return geom


def _hull_area(pts: np.ndarray) -> float:
    # qhull directly: the rebalancing asks this thousands of times (shapely's was 10× slower)
    if len(pts) < 3:
        return 0.0
    try:
        return float(ConvexHull(pts).volume)  # a 2-D hull's "volume" is its area
    except QhullError:  # all on one line
        return 0.0


# ----------------------------------------------------------------------------- balancing


def _initial_centres(
    units: _Units, groups: Sequence[Group], current: Mapping[str, str], rng: random.Random
) -> np.ndarray:
    """Each group starts where its territory is today (so group i stays rep i's and few
    accounts move), else at its home, else by k-means++ over the visits."""
    k = len(groups)
    centres = np.zeros((k, 2))
    known = [False] * k
    index = {g.id: j for j, g in enumerate(groups)}
    members: list[list[int]] = [[] for _ in range(k)]
    for i, sites in enumerate(units.members):
        gid = current.get(sites[0].id)
        if gid in index:
            members[index[gid]].append(i)
    drive_homes = _Drive(units, groups, 1.0, 1.0).homes
    for j in range(k):
        home = drive_homes[j]
        if members[j]:
            centres[j] = _centroid(units, np.array(members[j]))
            known[j] = True
        elif home is not None:
            centres[j], known[j] = home, True
    weights = units.visits + 1e-6
    for j in range(k):
        if known[j]:
            continue
        placed = [centres[m] for m in range(k) if known[m]]
        if not placed:
            pick = rng.choices(range(len(units)), weights=list(weights))[0]
        else:
            d2 = np.min([((units.xy - c) ** 2).sum(axis=1) for c in placed], axis=0)
            pick = rng.choices(range(len(units)), weights=list(weights * d2 + 1e-9))[0]
        centres[j], known[j] = units.xy[pick], True
    return centres


def _flow_assign(
    xy: np.ndarray, load: np.ndarray, centres: np.ndarray, shares: np.ndarray, slack: float
) -> np.ndarray:
    """Each unit to one centre, minimising Σ load × squared distance while no group takes
    more than its share (+slack) of the total: a transport problem, exact by min-cost flow.
    A unit the optimum splits between groups (at most k-1 of them) goes to its larger part."""
    n, k = len(xy), len(centres)
    supply = np.maximum(np.rint(load * _SCALE).astype(np.int64), 1)
    total = int(supply.sum())
    caps = np.ceil(total * shares * (1.0 + slack)).astype(np.int64) + 1
    d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    scale = max(float(d2.max()), 1.0)
    cost = np.rint(d2 / scale * 1_000_000).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = n + k, n + k + 1
    tails = np.concatenate([np.full(n, source), np.repeat(np.arange(n), k), n + np.arange(k)])
    heads = np.concatenate([np.arange(n), n + np.tile(np.arange(k), n), np.full(k, sink)])
    capacities = np.concatenate([supply, np.repeat(supply, k), caps])
    costs = np.concatenate([np.zeros(n, np.int64), cost.reshape(-1), np.zeros(k, np.int64)])
    # OR-Tools' generated stubs spell numpy's array types in a form no real array matches.
    arcs: list[Any] = [tails.astype(np.int32), heads.astype(np.int32),
                       capacities.astype(np.int64), costs.astype(np.int64)]  # fmt: skip
    flow.add_arcs_with_capacity_and_unit_cost(*arcs)
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve()
    if status != flow.OPTIMAL:  # cannot happen: capacities sum above the supply
        raise RuntimeError(f"min-cost flow answered {status}")
    middle: Any = np.arange(n, n + n * k, dtype=np.int32)
    flows = np.asarray(flow.flows(middle)).reshape(n, k)
    return np.asarray(flows.argmax(axis=1), dtype=np.int64)


def _lloyd(
    units: _Units, centres: np.ndarray, shares: np.ndarray, per_visit_drive: float,
    options: Options,
) -> tuple[np.ndarray, int]:  # fmt: skip
    """Balanced k-means on service plus an even share of drive per visit."""
    load = units.service + units.visits * per_visit_drive
    assign = _flow_assign(units.xy, load, centres, shares, options.slack)
    iterations = 1
    for _ in range(options.lloyd_iterations - 1):
        for j in range(len(centres)):
            idx = np.flatnonzero(assign == j)
            if len(idx):
                centres[j] = _centroid(units, idx)
        new = _flow_assign(units.xy, load, centres, shares, options.slack)
        iterations += 1
        if np.array_equal(new, assign):
            break
        assign = new
    return assign, iterations


def _polish(
    units: _Units, assign: np.ndarray, shares: np.ndarray, drive: _Drive, options: Options
) -> int:
    """Boundary moves on the full workload: take the group with the largest load per share
    and hand one of its border units to a lighter neighbour, the one that lowers the larger of
    the two loads most (ties: the unit nearest the neighbour's centre, for compactness);
    stop when no move helps. Loads are recomputed exactly after each move."""
    k = len(shares)
    if len(units) < 2 or k < 2:
        return 0
    tree = cKDTree(units.xy)
    m = min(_NEIGHBOURS + 1, len(units))
    _d, near = tree.query(units.xy, k=m)
    near = np.asarray(near).reshape(len(units), m)[:, 1:]
    members = [np.flatnonzero(assign == j) for j in range(k)]
    loads = [drive.load(j, members[j]) for j in range(k)]
    moves = 0
    blocked: set[int] = set()
    while moves < options.polish_moves:
        per_share = [loads[j].total_min / shares[j] for j in range(k)]
        order = [j for j in sorted(range(k), key=lambda j: -per_share[j]) if j not in blocked]
        if not order:
            break
        g = order[0]
        idx_g = members[g]
        out = drive.marginals(g, idx_g, loads[g], idx_g)
        best: tuple[float, float, int, int] | None = None
        for h in range(k):
            if h == g:
                continue
            # On the border: several of its nearest units are already in h (one alone is
            # often across a gap, and moving there would leave an enclave).
            border = (assign[near[idx_g]] == h).sum(axis=1) >= _ON_BORDER
            if not border.any():
                continue
            cand = idx_g[border]
            into = drive.marginals(h, cand, loads[h], members[h])
            worse = np.maximum((loads[g].total_min - out[border]) / shares[g],
                               (loads[h].total_min + into) / shares[h])  # fmt: skip
            centre = drive.centre(h, members[h]) if len(members[h]) else units.xy[cand[0]]
            compact = ((units.xy[cand] - centre) ** 2).sum(axis=1)
            ok = worse < per_share[g] - 1e-9
            if not ok.any():
                continue
            # lexicographic: the lowest resulting peak, then the most compact, then the id
            pick = np.lexsort((cand[ok], compact[ok], worse[ok]))[0]
            key = (float(worse[ok][pick]), float(compact[ok][pick]), int(cand[ok][pick]), h)
            if best is None or key < best:
                best = key
        if best is None:
            blocked.add(g)
            continue
        _w, _c, i, h = best
        old = (members[g], members[h], loads[g], loads[h])
        assign[i] = h
        members[g] = np.flatnonzero(assign == g)
        members[h] = np.flatnonzero(assign == h)
        loads[g], loads[h] = drive.load(g, members[g]), drive.load(h, members[h])
        exact = max(loads[g].total_min / shares[g], loads[h].total_min / shares[h])
        if exact >= per_share[g] - 1e-9:  # the marginal estimate was wrong: undo, try others
            assign[i] = g
            members[g], members[h], loads[g], loads[h] = old
            blocked.add(g)
            continue
        blocked.clear()
        moves += 1
    return moves


def _current_assign(
    units: _Units, groups: Sequence[Group], current: Mapping[str, str]
) -> np.ndarray | None:
    """Today's group of each unit (the most of its accounts'; ties: the lowest index); a unit
    in no group today joins the group whose centre is nearest. None when a group holds no
    unit today (nothing to keep: the caller re-partitions)."""
    index = {g.id: j for j, g in enumerate(groups)}
    assign = np.full(len(units), -1, dtype=np.int64)
    for i, sites in enumerate(units.members):
        votes = [index[gid] for s in sites if (gid := current.get(s.id)) in index]
        if votes:
            assign[i] = max(sorted(set(votes)), key=votes.count)
    k = len(groups)
    if any(not (assign == j).any() for j in range(k)):
        return None
    loose = np.flatnonzero(assign < 0)
    if len(loose):
        centres = np.array([_centroid(units, np.flatnonzero(assign == j)) for j in range(k)])
        d2 = ((units.xy[loose, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        assign[loose] = d2.argmin(axis=1)
    return assign


def _rebalance(
    units: _Units, assign: np.ndarray, shares: np.ndarray, drive: _Drive, options: Options
) -> int:
    """Keep-in-place balancing: from today's assignment, move border units one at a time
    until max ÷ min workload per share is within ``1 + options.tolerance``. Each step works
    on the extreme further from the mean: the heaviest group hands a border unit to a
    neighbour (the move that lowers the larger of the two loads most), or the lightest takes
    one from a neighbour (the move that raises the smaller of the two most). Either way the
    pick favours the largest unit that does not overshoot, so few accounts move; a unit is on
    the border when ``_ON_BORDER`` of its ``_NEIGHBOURS`` nearest are in the other group.
    Loads are recomputed exactly after each move (a move that does not help is undone)."""
    k = len(shares)
    if len(units) < 2 or k < 2:
        return 0
    target = 1.0 + max(options.tolerance, 0.0)
    tree = cKDTree(units.xy)
    m = min(_NEIGHBOURS + 1, len(units))
    _d, near = tree.query(units.xy, k=m)
    near = np.asarray(near).reshape(len(units), m)[:, 1:]
    touch = _delaunay(units.xy)
    members = [np.flatnonzero(assign == j) for j in range(k)]
    loads = [drive.load(j, members[j]) for j in range(k)]
    moves = 0
    blocked: set[tuple[str, int]] = set()
    while moves < options.polish_moves:
        per_share = np.array([loads[j].total_min / shares[j] for j in range(k)])
        high, low = float(per_share.max()), float(per_share.min())
        if high <= 0 or (low > 0 and high / low <= target):
            break
        mean = float(per_share.mean())
        tried = False
        # The extreme further from the mean first: the heaviest groups give, the lightest
        # take; a group that can do nothing is passed over for the next one in line.
        gives = [("give", int(j)) for j in np.argsort(-per_share, kind="stable")]
        takes = [("take", int(j)) for j in np.argsort(per_share, kind="stable")]
        heavy_first = high / max(mean, 1e-9) >= mean / max(low, 1e-9)
        queue = [(side, j) for pair in zip(*((gives, takes) if heavy_first else (takes, gives)),
                                           strict=True) for side, j in pair]  # fmt: skip
        for side, pick in queue:
            if (side, pick) in blocked:
                continue
            # a group gives only above the mean, takes only below it
            if (per_share[pick] <= mean) if side == "give" else (per_share[pick] >= mean):
                continue
            tried = True
            best = _best_move(units, assign, near, touch, members, loads, shares, drive, side,
                              pick)  # fmt: skip
            if best is None:
                blocked.add((side, pick))
                continue
            batch, src, dst = best
            was = (loads[src].total_min / shares[src], loads[dst].total_min / shares[dst])
            helped = False
            for chosen in (batch, batch[:1]) if len(batch) > 1 else (batch,):
                old = (members[src], members[dst], loads[src], loads[dst])
                assign[chosen] = dst
                members[src] = np.flatnonzero(assign == src)
                members[dst] = np.flatnonzero(assign == dst)
                loads[src] = drive.load(src, members[src])
                loads[dst] = drive.load(dst, members[dst])
                a, b = loads[src].total_min / shares[src], loads[dst].total_min / shares[dst]
                helped = max(a, b) < was[0] - 1e-9 if side == "give" else min(a, b) > was[1] + 1e-9
                if helped:
                    break
                assign[chosen] = src
                members[src], members[dst], loads[src], loads[dst] = old
            if not helped:
                blocked.add((side, pick))
                continue
            blocked.clear()
            moves += 1
            break
        if not tried:
            break
    return moves


def _delaunay(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The units' Delaunay neighbours as CSR (indptr, indices); none when degenerate."""
    try:
        if len(xy) < 3:
            raise QhullError("too few points")
        indptr, indices = Delaunay(xy).vertex_neighbor_vertices
    except QhullError:  # all on a line: each unit's neighbours are the ones beside it on it
        order = np.argsort(xy[:, 0] + xy[:, 1] * 1e-6, kind="stable")
        rank = np.empty(len(xy), dtype=np.int64)
        rank[order] = np.arange(len(xy))
        lists = [[int(order[r]) for r in (rank[i] - 1, rank[i] + 1) if 0 <= r < len(xy)]
                 for i in range(len(xy))]  # fmt: skip
        indptr = np.cumsum([0, *map(len, lists)])
        indices = np.array([j for row in lists for j in row], dtype=np.int64)
    return np.asarray(indptr, dtype=np.int64), np.asarray(indices, dtype=np.int64)


def _best_move(
    units: _Units, assign: np.ndarray, near: np.ndarray, touch: tuple[np.ndarray, np.ndarray],
    members: list[np.ndarray], loads: list[Load], shares: np.ndarray, drive: _Drive,
    side: str, pick: int,
) -> tuple[np.ndarray, int, int] | None:  # fmt: skip
    """The move of ``_rebalance``'s step: (units, from group, to group), or None. Candidates
    are the units of the giving group on the border with the taking one: first those with
    ``_ON_BORDER`` of their nearest units in it (deep in the border: no enclave), then those
    with a Delaunay neighbour in it (territories apart, across a gap: valleys, water)."""
    k = len(shares)
    indptr, indices = touch
    best: tuple[tuple[int, float, float, int, int, int], np.ndarray] | None = None
    areas: dict[int, float] = {}
    pairs = [(pick, h) for h in range(k) if h != pick] if side == "give" else [
        (h, pick) for h in range(k) if h != pick]  # fmt: skip
    for src, dst in pairs:
        idx = members[src]
        if len(idx) < 2:
            continue
        deep = (assign[near[idx]] == dst).sum(axis=1) >= _ON_BORDER
        if len(indices):
            hits = np.add.reduceat((assign[indices] == dst).astype(np.int64), indptr[:-1])
            hits[indptr[:-1] == indptr[1:]] = 0  # reduceat of an empty run repeats the next
            adjacent = hits[idx] > 0
        else:
            adjacent = np.zeros(len(idx), dtype=bool)
        border = deep | adjacent
        if not border.any():
            continue
        cand = idx[border]
        tier = np.where(deep[border], 0, 1)
        for j in (src, dst):
            if j not in areas:
                areas[j] = _hull_area(units.xy[members[j]]) if len(members[j]) else 0.0
        out = drive.marginals(src, cand, loads[src], idx, areas[src])
        into = drive.marginals(dst, cand, loads[dst], members[dst], areas[dst])
        a = (loads[src].total_min - out) / shares[src]
        b = (loads[dst].total_min + into) / shares[dst]
        was_src = loads[src].total_min / shares[src]
        was_dst = loads[dst].total_min / shares[dst]
        if side == "give":  # lower the larger of the two
            score = np.maximum(a, b)
            ok = score < was_src - 1e-9
        else:  # raise the smaller of the two (scored negated: lower is better)
            score = -np.minimum(a, b)
            ok = -score > was_dst + 1e-9
        if not ok.any():
            continue
        centre = drive.centre(dst, members[dst])
        compact = ((units.xy[cand] - centre) ** 2).sum(axis=1)
        j = np.lexsort((cand[ok], compact[ok], score[ok], tier[ok]))[0]
        key = (int(tier[ok][j]), float(score[ok][j]), float(compact[ok][j]), int(cand[ok][j]),
               src, dst)  # fmt: skip
        if best is None or key < best[0]:
            # A layer of the border at once: with the best unit, the border units (deep
            # ones first) nearest the taking group's centre, as long as together they close at most
            # a tenth of the gap between the two (a large gap is closed in a few steps, not in
            # hundreds of single moves; the exact check after the move still decides).
            gap = was_src - was_dst
            shift = out / shares[src] + into / shares[dst]
            layer = np.flatnonzero(ok)
            layer = layer[np.lexsort((cand[layer], compact[layer], tier[layer]))]
            room = np.cumsum(shift[layer]) <= _CLOSE * gap
            chosen = [int(cand[ok][j])]
            if gap > 0:
                chosen += [int(c) for c in cand[layer][room][:_LAYER] if c != chosen[0]]
            best = (key, np.array(chosen[:_LAYER], dtype=np.int64))
    if best is None:
        return None
    return best[1], best[0][4], best[0][5]


# ----------------------------------------------------------------------------- boundaries


def _polygons(geom: BaseGeometry) -> MultiPolygon:
    geom = shapely.make_valid(geom)
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", [geom]):
        if isinstance(part, Polygon) and not part.is_empty:
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(p for p in part.geoms if not p.is_empty)
    return MultiPolygon(parts)


class _Cells:
    """Voronoi cells of the units in the local frame (so borders are true bisectors), and the
    area they tile: ``clip`` (lon/lat) where given, else the units' hull with a margin. A unit
    the clip misses gets a 1 m square around it, so every account's point is covered."""

    def __init__(self, units: _Units, clip: BaseGeometry | None) -> None:
        self.units = units
        pts = _multipoint(units.xy)
        area: BaseGeometry
        if clip is None or clip.is_empty:
            area = pts.convex_hull.buffer(500.0)
        else:
            area = units.frame.from_lonlat(shapely.make_valid(clip))
        inside = shapely.intersects_xy(area, units.xy[:, 0], units.xy[:, 1])
        if not inside.all():
            squares = [Point(p).buffer(1.0, cap_style="square") for p in units.xy[~inside]]
            area = shapely.union_all([area, *squares])
        self.area = area
        if len(units) == 1:
            self.cells = [area]
        else:
            diagram = shapely.voronoi_polygons(
                pts, extend_to=area.envelope.buffer(1000.0), ordered=True
            )
            self.cells = list(getattr(diagram, "geoms", [diagram]))

    def group(self, idx: np.ndarray) -> BaseGeometry:
        if not len(idx):
            return MultiPolygon()
        return shapely.union_all([self.cells[i] for i in idx]).intersection(self.area)


def _absorb_enclaves(cells: _Cells, assign: np.ndarray, k: int) -> int:
    """Keep each group in one piece where it can: the units of every piece but a group's
    largest go to the group the piece shares the longest border with. Returns units moved."""
    units, moved = cells.units, 0
    shapes = [cells.group(np.flatnonzero(assign == j)) for j in range(k)]
    for j in range(k):
        pieces = sorted(_polygons(shapes[j]).geoms, key=lambda p: -p.area)
        for piece in pieces[1:]:
            border = [
                (piece.boundary.intersection(shapes[h]).length, -h) if h != j else (-1.0, 0)
                for h in range(k)
            ]
            length, minus_h = max(border)
            if length <= 0:
                continue  # an island of its own (the clip area is in pieces): leave it
            idx = np.flatnonzero(assign == j)
            inside = shapely.intersects_xy(piece, units.xy[idx, 0], units.xy[idx, 1])
            assign[idx[inside]] = -minus_h
            moved += int(inside.sum())
    return moved


# ----------------------------------------------------------------------------- public


def evaluate(
    sites: Sequence[Site], groups: Sequence[Group], assignment: Mapping[str, str],
    *, seconds_per_metre: float, options: Options = Options(),
) -> dict[str, Load]:  # fmt: skip
    """Each group's load under an assignment (site id -> group id) by the same estimate the
    balancing uses: the "before" of a proposal. Sites assigned to no group count nowhere."""
    index = {g.id: j for j, g in enumerate(groups)}
    units = _Units([s for s in sites if assignment.get(s.id) in index])
    drive = _Drive(units, groups, seconds_per_metre, options.visits_per_day)
    assign = np.array([index[assignment[m[0].id]] for m in units.members], dtype=np.int64).reshape(
        -1
    )
    return {g.id: drive.load(j, np.flatnonzero(assign == j)) for j, g in enumerate(groups)}


def balance(
    sites: Sequence[Site],
    groups: Sequence[Group],
    *,
    clip: BaseGeometry | None = None,
    current: Mapping[str, str] | None = None,
    provider: Provider | None = None,
    seconds_per_metre: float | None = None,
    options: Options = Options(),
) -> Balanced:
    """Cut ``sites`` into ``groups`` of even workload per rep (see the module docstring).

    ``clip``: the area the boundaries tile (lon/lat; e.g. the union of today's territories).
    ``current``: today's site id -> group id, where the search starts (fewer accounts move).
    ``provider`` calibrates the drive estimate (great-circle when neither it nor
    ``seconds_per_metre`` is given)."""
    if not groups:
        raise ValueError("at least one group")
    if len({g.id for g in groups}) != len(groups) or len({s.id for s in sites}) != len(sites):
        raise ValueError("duplicate group or site id")
    k = len(groups)
    rng = random.Random(options.seed)
    units = _Units(sites)
    if seconds_per_metre is None:
        points = [Location(la, lo) for la, lo in units.keys]
        points += [g.home for g in groups if g.home is not None]
        seconds_per_metre = (
            calibrate(provider, points, seed=options.seed) if provider else _default_spm()
        )
    drive = _Drive(units, groups, seconds_per_metre, options.visits_per_day)
    shares = np.array([max(g.reps, 1) for g in groups], dtype=float)
    shares = shares / shares.sum()
    if not len(units):
        empty = {g.id: MultiPolygon() for g in groups}
        return Balanced({}, {g.id: Load(0, 0, 0, 0, 0) for g in groups}, empty,
                        seconds_per_metre)  # fmt: skip
    kept = _current_assign(units, groups, current) if current and options.method == "keep" else None
    if kept is not None:
        today = kept.copy()
        result = _keep_in_place(units, groups, kept, shares, drive, clip, seconds_per_metre,
                                options)  # fmt: skip
        # Never more accounts moved than a fresh cut would move (within the tolerance too).
        fresh = balance(sites, groups, clip=clip, current=current,
                        seconds_per_metre=seconds_per_metre,
                        options=replace(options, method="fresh"))  # fmt: skip
        index = {g.id: j for j, g in enumerate(groups)}

        def moved(b: Balanced) -> int:
            return sum(int(units.counts[i]) for i, m in enumerate(units.members)
                       if index[b.assignment[m[0].id]] != today[i])  # fmt: skip

        if ratio(fresh.loads, groups) <= 1.0 + options.tolerance and moved(fresh) < moved(result):
            return fresh
        return result
    centres = _initial_centres(units, groups, current or {}, rng)
    # The flow balances service plus the local tour's drive per visit, the part that does not
    # depend on the cut (k tours over A/k each sum to β√(NA)); the polish then balances the
    # whole estimate, line-haul from each home included.
    n_all = float(units.visits.sum())
    area_all = _hull_area(units.xy)
    per_visit = BHH * math.sqrt(area_all / n_all) * seconds_per_metre / 60 if n_all else 0.0
    assign, iterations = _lloyd(units, centres, shares, per_visit, options)
    moves = _polish(units, assign, shares, drive, options)
    cells = _Cells(units, clip)
    # Enclaves out, then balance again by border moves; a few rounds settle it (the polish
    # moves single border units, which rarely cut a group in two).
    for _round in range(2):
        if not _absorb_enclaves(cells, assign, k):
            break
        moves += _polish(units, assign, shares, drive, options)
    _absorb_enclaves(cells, assign, k)  # the last word is compactness
    return _finish(units, groups, assign, cells, drive, seconds_per_metre, iterations, moves)


def _keep_in_place(
    units: _Units, groups: Sequence[Group], assign: np.ndarray, shares: np.ndarray,
    drive: _Drive, clip: BaseGeometry | None, seconds_per_metre: float, options: Options,
) -> Balanced:  # fmt: skip
    """``balance`` with ``method="keep"``: today's assignment, rebalanced by border moves
    (``_rebalance``); a piece cut off by the moves is absorbed and the balance restored."""
    k = len(groups)
    target = 1.0 + max(options.tolerance, 0.0)

    def spread(a: np.ndarray) -> float:
        per = [drive.load(j, np.flatnonzero(a == j)).total_min / shares[j] for j in range(k)]
        return max(per) / min(per) if min(per) > 0 else math.inf

    moves = _rebalance(units, assign, shares, drive, options)
    cells = _Cells(units, clip)
    # Pieces cut off by the moves are absorbed, and the balance restored, as long as the
    # result stays within the tolerance (else the pieces stay: balance is the aim).
    for _round in range(_ROUNDS):
        trial = assign.copy()
        if not _absorb_enclaves(cells, trial, k):
            break
        more = _rebalance(units, trial, shares, drive, options)
        if spread(trial) > target:
            break
        assign[:] = trial
        moves += more
    trial = assign.copy()
    if _absorb_enclaves(cells, trial, k) and spread(trial) <= target:
        assign[:] = trial
    return _finish(units, groups, assign, cells, drive, seconds_per_metre, 0, moves)


def _finish(
    units: _Units, groups: Sequence[Group], assign: np.ndarray, cells: _Cells, drive: _Drive,
    seconds_per_metre: float, iterations: int, moves: int,
) -> Balanced:  # fmt: skip
    k = len(groups)
    boundaries = [
        _polygons(units.frame.to_lonlat(cells.group(np.flatnonzero(assign == j)))) for j in range(k)
    ]
    assignment = {s.id: groups[int(assign[i])].id for i, m in enumerate(units.members) for s in m}
    loads = {g.id: drive.load(j, np.flatnonzero(assign == j)) for j, g in enumerate(groups)}
    return Balanced(
        assignment=assignment,
        loads=loads,
        boundaries={g.id: boundaries[j] for j, g in enumerate(groups)},
        seconds_per_metre=seconds_per_metre,
        iterations=iterations,
        moves=moves,
    )


def ratio(loads: Mapping[str, Load], groups: Sequence[Group]) -> float:
    """max / min of the groups' total load per rep (1.0 is perfect; inf if a group is idle)."""
    per_rep = [loads[g.id].total_min / max(g.reps, 1) for g in groups]
    low, high = min(per_rep), max(per_rep)
    if high <= 0:
        return 1.0
    return math.inf if low <= 0 else high / low


# ----------------------------------------------------------------------------- isolated


@dataclass(frozen=True)
class Outcome:
    """``balance`` and ``evaluate`` as plain data (boundaries as GeoJSON geometries): what the
    isolated run hands back, so the caller needs no shapely of its own."""

    assignment: Mapping[str, str]
    loads: Mapping[str, Load]
    before: Mapping[str, Load]
    boundaries: Mapping[str, dict[str, Any]]
    seconds_per_metre: float
    iterations: int
    moves: int


def _run(
    sites: Sequence[Site], groups: Sequence[Group], clip_wkb: bytes | None,
    current: Mapping[str, str], seconds_per_metre: float, options: Options,
) -> Outcome:  # fmt: skip
    clip = shapely.from_wkb(clip_wkb) if clip_wkb else None
    result = balance(sites, groups, clip=clip, current=current,
                     seconds_per_metre=seconds_per_metre, options=options)  # fmt: skip
    before = evaluate(sites, groups, current, seconds_per_metre=seconds_per_metre,
                      options=options)  # fmt: skip
    shapes = {gid: dict(shapely.geometry.mapping(geom)) for gid, geom in result.boundaries.items()}
    return Outcome(result.assignment, result.loads, before, shapes, seconds_per_metre,
                   result.iterations, result.moves)  # fmt: skip


def balance_isolated(
    sites: Sequence[Site],
    groups: Sequence[Group],
    *,
    clip_wkb: bytes | None = None,
    current: Mapping[str, str] | None = None,
    provider: Provider | None = None,
    options: Options = Options(),
) -> Outcome:
    """``balance`` (and ``evaluate`` of ``current``) in a child process (``python -m
    routing.territories``). Why: in a Django process SpatiaLite has loaded the system's GEOS,
    whose symbols then shadow the GEOS shapely bundles, and shapely's calls crash the process
    (a segfault seen in `intersects_xy`). The provider is asked here, in the caller (one small
    matrix, numpy only), so the child needs no network and no road graph."""
    import os
    import pickle
    import subprocess
    import sys
    from pathlib import Path

    points = sorted({Location(s.lat, s.lon) for s in sites}, key=lambda p: (p.lat, p.lon))
    points += [g.home for g in groups if g.home is not None]
    spm = calibrate(provider, points, seed=options.seed) if provider else _default_spm()
    job = pickle.dumps((list(sites), list(groups), clip_wkb, dict(current or {}), spm, options))
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    done = subprocess.run(  # noqa: S603 - our own module, with our own interpreter
        [sys.executable, "-m", "routing.territories"], input=job, capture_output=True,
        env=env, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(
            f"routing.territories failed ({done.returncode}): {done.stderr.decode()[-2000:]}"
        )
    outcome = pickle.loads(done.stdout)  # noqa: S301 - written by our own child just now
    assert isinstance(outcome, Outcome)
    return outcome


def main() -> None:
    import importlib
    import pickle
    import sys

    # Run as ``-m`` this file is ``__main__``: answer with the classes of the importable module,
    # which the parent unpickles.
    territories = importlib.import_module("routing.territories")
    sites, groups, clip_wkb, current, spm, options = pickle.load(sys.stdin.buffer)
    outcome = territories._run(sites, groups, clip_wkb, current, spm, options)
    sys.stdout.buffer.write(pickle.dumps(outcome))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
