"""Balanced territories for a region: propose boundaries that even out each rep's workload,
compare them with today's, apply them after confirmation.

Workload per period (``PERIOD_DAYS``): the visits each account's cadence calls for
(``visit_frequency_days``) × the visit length of its tier (``plans.planning.SERVICE_S``, the
planner's own), plus the drive time ``routing.territories`` estimates on the region's configured
provider. The engine runs through ``plans.planning.territory_balance``, the one bridge to
``routing``.

A proposal is plain JSON data (the page keeps it in the session between the steps). It carries
a fingerprint of the region's territories as they were (boundaries and reps): applying refuses
a proposal whose region changed since (``StaleProposal``, naming ``proposal``). Applying sets
every boundary through ``territory_set_boundary`` in one transaction, so the territory rule
moves the accounts, and the phones drop the ones that left their rep's territories on their
next sync (sync's scope-loss tombstones).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fieldcrm.access import get_scoped, require_role, scoped
from fieldcrm.accounts.models import Account
from fieldcrm.core.errors import DomainError
from fieldcrm.core.geo import SRID, as_multipolygon
from fieldcrm.plans.planning import SERVICE_S, provider_name, territory_balance
from fieldcrm.territories.models import Region, Territory
from fieldcrm.territories.services import territory_set_boundary
from fieldcrm.users.models import User

PERIOD_DAYS = 28  # workload is shown per four weeks: every cadence up to monthly counts
LIVE = (Account.Status.LEAD, Account.Status.PROSPECT, Account.Status.CUSTOMER)
SEED = 0  # the same data gives the same proposal
METHODS = ("keep", "fresh")  # keep today's territories and move the few accounts needed / redo
TOLERANCE = 0.05  # "keep": every rep's workload within 5 % (max ÷ min per rep ≤ 1.05)
TOKEN_SALT = "fieldcrm.territories.balance"
TOKEN_MAX_AGE_S = 24 * 3600  # a proposal token is good for a day (and while the region holds)


class StaleProposal(DomainError):
    """The region's territories changed after the proposal was made (a 409 on the page and in
    the API)."""


def balance_regions(*, actor: User, write: bool = True) -> QuerySet[Region]:
    """The regions the caller may re-cut (``write``: apply; managers their own, admins all) or
    propose for (planners too, their own); with territories."""
    roles = (User.Role.MANAGER,) if write else (User.Role.MANAGER, User.Role.PLANNER)
    if not (actor.is_admin or actor.role in roles):
        return Region.objects.none()
    return (
        scoped(Region, actor, write=write)
        .filter(territories__isnull=False)
        .distinct()
        .order_by("name", "pk")
    )


def _region(actor: User, region_id: Any, *, write: bool = True) -> Region:
    if write:
        require_role(actor, User.Role.MANAGER)
    else:
        require_role(actor, User.Role.MANAGER, User.Role.PLANNER)
    try:
        pk = int(region_id)
    except (TypeError, ValueError):
        raise DomainError("region_id", _("Choose a region.")) from None
    region = balance_regions(actor=actor, write=write).filter(pk=pk).first()
    if region is None:
        raise DomainError("region_id", _("No such region in your scope."))
    return region


def _territories(region: Region) -> list[Territory]:
    return list(region.territories.order_by("pk").prefetch_related("reps"))


def _fingerprint(territories: list[Territory]) -> str:
    """Today's cut of the region: each territory's boundary and reps."""
    digest = hashlib.sha256()
    for t in territories:
        reps = ",".join(str(r.pk) for r in sorted(t.reps.all(), key=lambda r: r.pk))
        digest.update(f"{t.pk}|{t.boundary.wkb.hex()}|{reps};".encode())
    return digest.hexdigest()


def _name(user: User) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.username


def _load_row(load: Any, reps: int) -> dict[str, float]:
    """A group's load as hours, and per rep (a territory two reps share carries twice)."""
    return {
        "accounts": load.accounts,
        "visits": round(load.visits, 1),
        "service_h": round(load.service_min / 60, 1),
        "drive_h": round(load.drive_min / 60, 1),
        "total_h": round(load.total_min / 60, 1),
        "per_rep_h": round(load.total_min / 60 / reps, 1),
        "spread_km": round(load.spread_km, 2),
    }


def _ratio(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [row[key]["per_rep_h"] for row in rows]
    if not values or min(values) <= 0:
        return None
    return round(max(values) / min(values), 3)


def balance_propose(
    *, actor: User, region_id: Any, method: str = "keep", tolerance: float = TOLERANCE
) -> dict[str, Any]:
    """A proposal for the region: new boundaries, each territory's workload before and after,
    the accounts that would move (``moves``: account, from, to). Nothing is written.

    ``method`` "keep" (the default) starts from today's territories and moves only the
    border accounts needed to bring every rep within ``tolerance``; "fresh" re-cuts the
    region from scratch (more accounts move, a little more even)."""
    if method not in METHODS:
        raise DomainError("method", _("Choose keep or fresh."))
    if not 0 <= tolerance <= 0.5:
        raise DomainError("tolerance", _("Give a tolerance between 0 and 0.5."))
    region = _region(actor, region_id, write=False)
    territories = _territories(region)
    if len(territories) < 2:
        raise DomainError("region_id", _("The region needs at least two territories."))
    rows = list(
        scoped(Account, actor)
        .filter(territory__region=region, location__isnull=False, status__in=LIVE,
                deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "location", "visit_frequency_days", "tier", "territory_id")
    )  # fmt: skip
    if len(rows) < len(territories):
        raise DomainError("region_id", _("The region has fewer accounts than territories."))
    sites = [
        (str(pk), loc.y, loc.x, PERIOD_DAYS / freq if freq else 0.0,
         SERVICE_S.get(tier, SERVICE_S["B"]) / 60)
        for pk, loc, freq, tier, _tid in rows
    ]  # fmt: skip
    current = {str(pk): str(tid) for pk, _loc, _f, _t, tid in rows}
    groups: list[tuple[str, int, tuple[float, float] | None]] = []
    for t in territories:
        people = sorted(t.reps.all(), key=lambda r: r.pk)
        home = next(((r.home_base.y, r.home_base.x) for r in people if r.home_base), None)
        groups.append((str(t.pk), max(len(people), 1), home))
    clip: GEOSGeometry = territories[0].boundary
    for t in territories[1:]:
        clip = clip.union(t.boundary)
    result = territory_balance(
        region=region, sites=sites, groups=groups, current=current,
        clip_wkb=bytes(clip.wkb), seed=SEED, method=method, tolerance=tolerance,
    )  # fmt: skip
    table = []
    for t, (gid, reps, _home) in zip(territories, groups, strict=True):
        names = ", ".join(_name(r) for r in sorted(t.reps.all(), key=lambda r: r.pk))
        table.append({
            "territory_id": t.pk, "territory": t.name, "reps": names, "rep_count": reps,
            "before": _load_row(result.before[gid], reps),
            "after": _load_row(result.loads[gid], reps),
        })  # fmt: skip
    boundaries = dict(result.boundaries)
    moves = [
        {"account_id": sid, "from_territory_id": int(current[sid]),
         "to_territory_id": int(gid)}
        for sid, gid in sorted(result.assignment.items())
        if current[sid] != gid
    ]  # fmt: skip
    return {
        "id": uuid.uuid4().hex,
        "region_id": region.pk,
        "region": region.name,
        "method": method,
        "tolerance": tolerance,
        "moves": moves,
        "fingerprint": _fingerprint(territories),
        "provider": provider_name(None),
        "period_days": PERIOD_DAYS,
        "accounts": len(rows),
        "moved": len(moves),
        "rows": table,
        "ratio_before": _ratio(table, "before"),
        "ratio_after": _ratio(table, "after"),
        "boundaries": boundaries,
    }


@transaction.atomic
def balance_apply(
    *, actor: User, proposal: dict[str, Any], field: str = "proposal"
) -> dict[str, int]:
    """Set the proposal's boundaries, all or none. Refuses (``StaleProposal``, naming
    ``field``) when the region's territories changed since the proposal was made. Returns the
    region and how many accounts changed territory."""
    region = _region(actor, proposal.get("region_id"))
    territories = _territories(region)
    if _fingerprint(territories) != proposal.get("fingerprint"):
        raise StaleProposal(
            field,
            _("The region's territories changed after this proposal was made: propose again."),
        )
    boundaries = proposal.get("boundaries") or {}
    if set(boundaries) != {str(t.pk) for t in territories}:
        raise StaleProposal(field, _("This proposal does not fit the region: propose again."))
    accounts = Account.objects.filter(territory__region=region)
    was = dict(accounts.values_list("pk", "territory_id"))
    for territory in territories:
        shape = GEOSGeometry(json.dumps(boundaries[str(territory.pk)]), srid=SRID)
        boundary = as_multipolygon(shape)
        assert isinstance(boundary, MultiPolygon)
        territory_set_boundary(territory=territory, boundary=boundary, actor=actor)
    now = dict(Account.objects.filter(pk__in=list(was)).values_list("pk", "territory_id"))
    moved = sum(1 for pk, tid in was.items() if now.get(pk) != tid)
    return {"region_id": region.pk, "moved": moved}


# ----------------------------------------------------------------------------- the API's


def proposal_token(proposal: dict[str, Any]) -> str:
    """The proposal as a signed token (what ``balance_apply_token`` applies): the region, its
    fingerprint and the boundaries, compressed. Signed with the installation's secret, so a
    caller cannot apply boundaries of their own making through it."""
    data = {key: proposal[key] for key in ("id", "region_id", "fingerprint", "boundaries")}
    return signing.dumps(data, salt=TOKEN_SALT, compress=True)


def balance_propose_by(
    *, actor: User, region_id: int, method: str = "keep", tolerance: float = TOLERANCE
) -> dict[str, Any]:
    """``balance_propose`` for the API: a region outside the caller's scope is missing
    (``NotInScope``, a 404); managers, planners and admins propose. Adds ``proposal_token``."""
    require_role(actor, User.Role.MANAGER, User.Role.PLANNER)
    get_scoped(Region, actor, region_id)
    proposal = balance_propose(actor=actor, region_id=region_id, method=method,
                               tolerance=tolerance)  # fmt: skip
    return {**proposal, "proposal_token": proposal_token(proposal)}


def balance_apply_token(*, actor: User, region_id: int, token: str) -> dict[str, int]:
    """Apply a proposal token from ``balance_propose_by`` to the region. Managers of the
    region and admins (planners: ``NotAllowed``, a 403); a region outside the scope is
    missing (404); a forged or foreign token is a ``DomainError`` on ``proposal_token``; a
    token older than a day, or whose region changed since, is a ``StaleProposal`` (409)."""
    require_role(actor, User.Role.MANAGER)
    get_scoped(Region, actor, region_id, write=True)
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_S)
    except signing.SignatureExpired:
        raise StaleProposal(
            "proposal_token", _("This proposal is more than a day old: propose again.")
        ) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise DomainError("proposal_token", _("This is not a proposal token.")) from None
    if not isinstance(data, dict) or data.get("region_id") != region_id:
        raise DomainError("proposal_token", _("This proposal is for another region."))
    return balance_apply(actor=actor, proposal=data, field="proposal_token")
