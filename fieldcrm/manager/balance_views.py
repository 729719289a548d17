"""/manager/territories/balance: pick a region, propose balanced territories, compare them
with today's on a map and in a table of each rep's workload, apply after a confirm step.

HTTP only: the proposal and the apply are `territories.balancing`'s. The proposal is kept in
the session between the steps (it is the service's plain JSON data), one per manager: a newer
proposal replaces it, and applying consumes it. No script of our own on these pages: the
confirm step is a page with a form, the map a folium page in an iframe (its inline scripts
carry the CSP nonce)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fieldcrm.core.csp import framed_by_own_pages, nonce
from fieldcrm.core.errors import DomainError
from fieldcrm.core.tiles import map_tiles
from fieldcrm.manager.selectors import MapFilters, map_territories
from fieldcrm.territories.balancing import (
    TOLERANCE,
    StaleProposal,
    balance_apply,
    balance_propose,
)
from fieldcrm.territories.balancing import balance_regions as regions_of
from fieldcrm.users.auth import PageRequest, page_view
from maps import page_html
from maps.balance import balance_map
from maps.data import TerritoryShape

SESSION_KEY = "territory_balance"
manager_page = page_view("manager")


def _proposal(request: PageRequest, wanted: str | None) -> dict[str, Any] | None:
    proposal = request.session.get(SESSION_KEY)
    if not isinstance(proposal, dict) or not wanted or proposal.get("id") != wanted:
        return None
    return proposal


def _page(request: PageRequest, *, proposal: dict[str, Any] | None = None,
          error: str | None = None, status: int = 200, **extra: Any) -> HttpResponse:  # fmt: skip
    regions = list(regions_of(actor=request.user))
    chosen = request.POST.get("region_id") or request.GET.get("region")
    if proposal is not None:
        chosen = str(proposal["region_id"])
    method = request.POST.get("method") or (proposal or {}).get("method") or "keep"
    tolerance = request.POST.get("tolerance_pct")
    if tolerance is None:
        tolerance = _percent((proposal or {}).get("tolerance", TOLERANCE))
    context = {
        "regions": regions, "chosen": chosen, "proposal": proposal, "error": error,
        "method": method, "tolerance_pct": tolerance, **extra,
    }  # fmt: skip
    return render(request, "manager/balance.html", context, status=status)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}"


def _tolerance(raw: str | None) -> float:
    """The form's tolerance in percent (empty: the default) as the service's fraction."""
    if raw is None or not raw.strip():
        return TOLERANCE
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise DomainError("tolerance", _("Give the tolerance as a percentage.")) from None
    if not 0 <= value <= 50:  # also refuses nan and infinities
        raise DomainError("tolerance", _("Give a tolerance between 0 and 50 %."))
    return value / 100


@require_GET
@manager_page
def balance_page(request: PageRequest) -> HttpResponse:
    proposal = _proposal(request, request.GET.get("proposal"))
    applied = request.GET.get("applied")
    if request.GET.get("proposal") and proposal is None:
        return _page(request, error=_("This proposal is no longer available: propose again."),
                     status=404)  # fmt: skip
    return _page(request, proposal=proposal,
                 applied=int(applied) if applied and applied.isdigit() else None)  # fmt: skip


@require_POST
@manager_page
def balance_propose_view(request: PageRequest) -> HttpResponseBase:
    try:
        proposal = balance_propose(
            actor=request.user, region_id=request.POST.get("region_id"),
            method=request.POST.get("method") or "keep",
            tolerance=_tolerance(request.POST.get("tolerance_pct")),
        )  # fmt: skip
    except DomainError as exc:
        return _page(request, error=exc.message, status=422)
    request.session[SESSION_KEY] = proposal
    return redirect(reverse("manager:territory_balance") + f"?proposal={proposal['id']}")


@require_GET
@manager_page
def balance_confirm(request: PageRequest) -> HttpResponse:
    proposal = _proposal(request, request.GET.get("proposal"))
    if proposal is None:
        return _page(request, error=_("This proposal is no longer available: propose again."),
                     status=404)  # fmt: skip
    return render(request, "manager/balance_confirm.html", {"proposal": proposal})


@require_POST
@manager_page
def balance_apply_view(request: PageRequest) -> HttpResponseBase:
    proposal = _proposal(request, request.POST.get("proposal"))
    if proposal is None:
        return _page(request, error=_("This proposal is no longer available: propose again."),
                     status=404)  # fmt: skip
    try:
        result = balance_apply(actor=request.user, proposal=proposal)
    except StaleProposal as exc:
        request.session.pop(SESSION_KEY, None)
        return _page(request, error=exc.message, status=409)
    except DomainError as exc:
        return _page(request, proposal=proposal, error=exc.message, status=422)
    request.session.pop(SESSION_KEY, None)
    return redirect(reverse("manager:territory_balance")
                    + f"?region={result['region_id']}&applied={result['moved']}")  # fmt: skip


@require_GET
@framed_by_own_pages
@manager_page
def balance_frame(request: PageRequest) -> HttpResponse:
    """Today's territories and the proposal, as one folium map for the page's iframe."""
    proposal = _proposal(request, request.GET.get("proposal"))
    if proposal is None:
        return HttpResponse(status=404)
    today = map_territories(actor=request.user, filters=MapFilters(region=proposal["region_id"]))
    boundaries = proposal["boundaries"]
    proposed = [
        TerritoryShape(id=t.id, name=t.name, rep=t.rep, region=t.region,
                       geojson=boundaries[t.id])
        for t in today if t.id in boundaries
    ]  # fmt: skip
    tiles = map_tiles()
    m = balance_map(today, proposed, static_url=settings.STATIC_URL, tile_url=tiles.url,
                    tile_attribution=tiles.attribution, vector_tiles=tiles.vector,
                    gettext=_)  # fmt: skip
    page = page_html(
        m, nonce=nonce(request), language=get_language(), title=_("Balanced territories")
    )
    return HttpResponse(page)
