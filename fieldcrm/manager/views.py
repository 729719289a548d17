"""Manager pages: /manager/ (the week at a glance) and /manager/map (territory map, area
selection, export, assignment, standalone download). HTTP only: parse, call one selector or
service, render. Managers and admins only; any other role gets 403."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fieldcrm.access import NotAllowed, NotInScope
from fieldcrm.accounts import exports
from fieldcrm.bulk import selectors as bulk_selectors
from fieldcrm.core.csp import framed_by_own_pages, nonce
from fieldcrm.core.errors import DomainError
from fieldcrm.core.tiles import map_tiles
from fieldcrm.manager import selectors, services
from fieldcrm.manager.dashboard import dashboard
from fieldcrm.manager.forms import MapFilterForm, parse_area
from fieldcrm.users.auth import PageRequest, page_view
from fieldcrm.users.models import User
from maps import page_html, status_labels, territory_map, to_standalone_html

MAX_BODY = 1_000_000
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


# Managers and admins (access.PAGE_ROLES["manager"]).
manager_page = page_view("manager")


def _filters(request: PageRequest) -> tuple[MapFilterForm, selectors.MapFilters]:
    form = MapFilterForm(request.GET, actor=request.user)
    # An invalid filter (e.g. a territory outside the caller's scope) is shown on the form and
    # ignored, never widened: the invalid field drops out of cleaned_data.
    form.is_valid()
    return form, form.filters()


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": [{"loc": ["body"], "msg": message}]}, status=status)


def _build_map(request: PageRequest, filters: selectors.MapFilters) -> Any:
    data = selectors.map_data(actor=request.user, filters=filters)
    tiles = map_tiles()
    return territory_map(
        data,
        static_url=settings.STATIC_URL,
        # Absolute: the standalone download is opened from a file, not from this server
        # (not build_absolute_uri, which would percent-encode the template's braces).
        tile_url=tiles.url
        if "://" in tiles.url
        else request.build_absolute_uri("/")[:-1] + tiles.url,
        tile_attribution=tiles.attribution,
        vector_tiles=tiles.vector,
        gettext=_,
        draw=True,
        direction="rtl" if get_language_bidi() else "ltr",
    )


@require_GET
@manager_page
def manager_dashboard(request: PageRequest) -> HttpResponse:
    return render(
        request,
        "manager/dashboard.html",
        {"d": dashboard(actor=request.user)},
    )


def _last_change(user: User) -> dict[str, Any] | None:
    """The caller's last bulk change while it can still be undone (so Undo survives a reload)."""
    change = bulk_selectors.bulk_change_last(actor=user)
    if change is None or change.undone_at is not None:
        return None
    return bulk_selectors.bulk_change_summary(change=change)


@require_GET
@manager_page
def map_page(request: PageRequest) -> HttpResponse:
    form, _filters_unused = _filters(request)
    reps = selectors.map_reps(actor=request.user).values_list(
        "pk", "first_name", "last_name", "username"
    )
    query = request.GET.urlencode()
    suffix = f"?{query}" if query else ""
    config = {
        "csrf": get_token(request),
        "selectionUrl": reverse("manager:map_selection") + suffix,
        "previewUrl": reverse("manager:map_selection_assign_preview") + suffix,
        "applyUrl": reverse("api:apply_bulk_change"),
        "undoUrl": reverse("api:undo_bulk_change"),
        "lastChange": _last_change(request.user),
        "limit": selectors.SELECTION_LIST_LIMIT,
        "statuses": status_labels(_),
        "strings": {
            "hint": _("Draw a polygon or a rectangle on the map to select the accounts inside it."),
            "loading": _("Looking for accounts in the area…"),
            "count": _("Accounts in the area: %(count)s"),
            "truncated": _("Only the first %(limit)s are listed."),
            "confirmTitle": _("Give %(count)s accounts to %(owner)s?"),
            "nothing": _("Nothing to change: no account of the area would get a new owner."),
            "changesHead": _("These accounts change owner:"),
            "fromTo": _("%(from)s → %(to)s"),
            "refusedHead": _("Left as they are (%(count)s):"),
            "unchanged": _("Already owned by %(owner)s: %(count)s."),
            "warningsHead": _("Warnings (%(count)s):"),
            "apply": _("Apply"),
            "cancel": _("Cancel"),
            "assigned": _("%(count)s accounts now belong to %(owner)s."),
            "undo": _("Undo"),
            "lastChange": _("Your last bulk change: %(field)s of %(count)s accounts to %(value)s."),
            "undoneField": _("Undone: %(count)s accounts have their previous %(field)s again."),
            "skipped": _("Not undone (%(count)s):"),
            "failed": _("Something went wrong; try again."),
        },
    }
    context = {
        "form": form,
        "config": config,
        "query": query,
        "reps": [(pk, selectors.person_name(f, la, u)) for pk, f, la, u in reps],
    }
    return render(request, "manager/map.html", context)


def _gzipped(request: PageRequest, response: HttpResponse) -> HttpResponse:
    """gzip at level 1: a 100k-account map is ~5 MB of JSON, which Django's level 6
    (gzip_page) takes ~0.6 s to compress; level 1 takes ~0.1 s for ~20 % more bytes."""
    patch_vary_headers(response, ("Accept-Encoding",))
    if ACCEPTS_GZIP.search(request.headers.get("accept-encoding", "")):
        response.content = gzip.compress(response.content, compresslevel=1, mtime=0)
        response["Content-Encoding"] = "gzip"
    return response


@require_GET
@framed_by_own_pages
@manager_page
def map_frame(request: PageRequest) -> HttpResponse:
    """The folium map itself, shown in the page's iframe (same origin, so the drawn area
    reaches the page's `fieldcrmOnDraw`). folium's inline scripts carry the CSP nonce."""
    _form, filters = _filters(request)
    page = page_html(_build_map(request, filters), nonce=nonce(request), language=get_language(),
                     title=_("Territory map"))  # fmt: skip
    return _gzipped(request, HttpResponse(page))


@require_GET
@manager_page
def map_download(request: PageRequest) -> HttpResponse:
    """The same map as one self-contained HTML file (assets inlined; only tiles fetched)."""
    _form, filters = _filters(request)
    page = to_standalone_html(_build_map(request, filters), find_asset=finders.find)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="territory-map-{stamp}.html"'
    return _gzipped(request, response)


def _area_from(request: PageRequest) -> tuple[Any, dict[str, Any]]:
    """The drawn area from a JSON body ({"area": GeoJSON, ...}) or a form field `area`."""
    if len(request.body) > MAX_BODY:
        raise ValidationError(_("The selected area is too large to send."))
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise ValidationError(_("The request is not valid JSON.")) from None
        if not isinstance(body, dict):
            raise ValidationError(_("The request is not valid JSON."))
        return parse_area(body.get("area")), body
    return parse_area(request.POST.get("area", "")), dict(request.POST.items())


@require_POST
@manager_page
def map_selection(request: PageRequest) -> HttpResponse:
    """The filtered accounts inside the drawn area: count and the first ones, as JSON."""
    _form, filters = _filters(request)
    try:
        area, _body = _area_from(request)
    except ValidationError as exc:
        return _error(exc.messages[0])
    return JsonResponse(selectors.selection_summary(actor=request.user, filters=filters,
                                                    area=area))  # fmt: skip


@require_POST
@manager_page
def map_selection_export(request: PageRequest) -> HttpResponseBase:
    """The selection as CSV in the importer's columns (the accounts export has no polygon
    filter, so the selection's queryset goes through the same CSV writer)."""
    _form, filters = _filters(request)
    try:
        area, _body = _area_from(request)
    except ValidationError as exc:
        return _error(exc.messages[0])
    qs = selectors.selection_accounts(actor=request.user, filters=filters, area=area)
    if qs.count() > exports.MAX_ROWS:
        message = _("An export holds at most %(max)s accounts: select a smaller area.")
        return _error(message % {"max": f"{exports.MAX_ROWS:,}"}, status=422)
    qs = qs.select_related("owner").prefetch_related("tags")
    # exports._csv / _cf_keys are the accounts export's own writer: same columns, same
    # formula neutralising, so a selection export imports back unchanged.
    response = StreamingHttpResponse(
        exports._csv(qs, exports._cf_keys()), content_type=exports.FORMATS["csv"]
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="accounts-selection-{stamp}.csv"'
    return response


@require_POST
@manager_page
def map_selection_assign_preview(request: PageRequest) -> HttpResponse:
    """What giving the selection to a rep would change: count, names, warnings, refusals.
    Nothing is written here; the page applies (and undoes) through /api/v1/bulk-changes."""
    _form, filters = _filters(request)
    try:
        area, body = _area_from(request)
        owner = body.get("owner_id")
        owner_id = None if owner in (None, "") else int(owner)
    except (ValidationError, ValueError, TypeError) as exc:
        messages = getattr(exc, "messages", None) or [_("Choose a rep.")]
        return _error(messages[0], status=422)
    try:
        preview = services.selection_bulk_preview(
            actor=request.user, filters=filters, area=area, field="owner", value=owner_id
        )
    except DomainError as exc:
        return JsonResponse({"detail": [{"loc": ["body", exc.field], "msg": exc.message}]},
                            status=422)  # fmt: skip
    except (NotAllowed, NotInScope) as exc:
        return _error(str(exc), status=403)
    return JsonResponse(preview)
