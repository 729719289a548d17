"""/planner/: pick a region and a date, generate, watch progress, see the routes, move a stop
between reps, publish. The page drives the JSON API (/api/v1/plans...); the map is a folium
page in an iframe (selectors → maps.route_map → HTML)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fieldcrm.access import NotInScope
from fieldcrm.core.csp import framed_by_own_pages, nonce
from fieldcrm.core.tiles import map_tiles
from fieldcrm.plans import selectors
from fieldcrm.users.auth import PageRequest, page_view
from fieldcrm.users.models import User
from maps import page_html
from maps.builders import route_map
from maps.data import RouteLine, RouteStop, UnassignedVisit

UNASSIGNED_ON_MAP = 100  # the best-scored left-out visits drawn apart; the rest only counted


# Planners, managers and admins (access.PAGE_ROLES["planner"]): a rep gets the styled 403.
planner_only = page_view("planner")


def _choice(request: PageRequest) -> tuple[Any, dt.date | None, list]:
    regions = list(selectors.planner_regions(actor=request.user))
    wanted = request.GET.get("region")
    region = next((r for r in regions if str(r.pk) == wanted), regions[0] if regions else None)
    if wanted and (region is None or str(region.pk) != wanted):
        raise Http404(_("Region not found."))
    if region is None:
        return None, None, regions
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate(timezone=ZoneInfo(region.timezone)) + dt.timedelta(days=1)
    return region, day, regions


@require_GET
@planner_only
def planner_page(request: PageRequest) -> HttpResponse:
    region, day, regions = _choice(request)
    data: dict[str, Any] = {"plans": [], "job": None}
    if region is not None and day is not None:
        data = selectors.planner_day(actor=request.user, region_id=region.pk, date=day)
    query = f"?region={region.pk}&date={day}" if region else ""
    config = {
        "csrf": get_token(request),
        "regionId": region.pk if region else None,
        "date": day.isoformat() if day else None,
        "api": "/api/v1/",
        "job": data["job"].pk if data["job"] and data["job"].status in ("queued", "running")
        else None,
        "strings": {
            "queued": _("Waiting for a worker…"),
            "planning": _("Planning…"),
            "failed": _("Planning failed: %(message)s"),
            "busy": _("Another planner is already generating this day (job %(id)s)."),
            "error": _("Something went wrong; try again."),
            "published": _("Published."),
            "confirmPublishOne": _(
                "Publish this plan? The rep sees it on the phone at the next sync."
            ),
            "confirmPublishMany": _(
                "Publish %(n)s plans? Each rep sees theirs on the phone at the next sync."
            ),
            "confirmUnpublish": _(
                "Unpublish the plan of %(rep)s? Stops not yet checked in or logged leave the "
                "phone at its next sync; logged work stays."
            ),
        },
    }  # fmt: skip
    context = {
        "regions": regions, "region": region, "day": day, "plans": data["plans"],
        "job": data["job"], "config": config,
        "map_url": reverse("planner:map") + query,
        "drafts": [p for p in data["plans"] if p.status == "draft"],
    }  # fmt: skip
    return render(request, "planner/index.html", context)


@require_GET
@framed_by_own_pages
@planner_only
def planner_map(request: PageRequest) -> HttpResponse:
    """The day's routes, a colour per rep, with the visits left out drawn apart."""
    region, day, _regions = _choice(request)
    if region is None or day is None:
        raise Http404(_("Region not found."))
    try:
        data = selectors.planner_day(actor=request.user, region_id=region.pk, date=day)
    except NotInScope as exc:
        raise Http404(str(exc)) from None
    tz = ZoneInfo(region.timezone)
    routes = [
        RouteLine(
            rep=f"{p.rep.display_name} ({p.get_status_display()})",
            stops=[
                RouteStop(seq=s.sequence, name=s.account.name, lat=s.account.location.y,
                          lng=s.account.location.x,
                          eta=s.arrival_at.astimezone(tz).strftime("%H:%M"))
                for s in p.stops.all() if s.account.location is not None
            ],
            path=[(lat, lng) for lng, lat in p.path.coords] if p.path else (),
        )
        for p in data["plans"]
    ]  # fmt: skip
    tiles = map_tiles()
    # A day with no routes yet opens on the region, not on the world.
    home = None
    if region.boundary is not None:
        west, south, east, north = region.boundary.extent
        home = (south, west, north, east)
    m = route_map(
        routes, _unassigned(request.user, data["job"]), static_url=settings.STATIC_URL,
        tile_url=tiles.url, tile_attribution=tiles.attribution, vector_tiles=tiles.vector,
        gettext=_, home=home, direction="rtl" if get_language_bidi() else "ltr",
    )  # fmt: skip
    page = page_html(m, nonce=nonce(request), language=get_language(), title=_("Route planner"))
    return HttpResponse(page)


def _unassigned(user: User, job: Any) -> list[UnassignedVisit]:
    if job is None or job.status != "done":
        return []
    dropped = job.result.get("dropped", [])[:UNASSIGNED_ON_MAP]
    where = selectors.account_points(actor=user, account_ids=[d["account_id"] for d in dropped])
    return [
        UnassignedVisit(name=d["name"], lat=where[d["account_id"]][0],
                        lng=where[d["account_id"]][1], reason=d["reason"], id=d["account_id"])
        for d in dropped if d["account_id"] in where
    ]  # fmt: skip
