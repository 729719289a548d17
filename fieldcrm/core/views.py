"""Plain views of the core: the health check, the API's JSON 404, and the error pages.

The error pages (400, 403, 404, 500 and a failed CSRF check) are the site's own: the same
header as every page (the role's navigation, log out, language), in the user's language, and a
link to the user's start page, so a refusal is never a dead end. Under /api/ an error stays JSON
in the API's shape (``{"detail": "..."}``): phones and integrations read it, not people.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from fieldcrm.core.geo import backend_name, backend_version

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness plus which spatial database answers, and its version."""
    try:
        version = backend_version()
    except DatabaseError as exc:
        return JsonResponse(
            {"status": "error", "database": {"backend": backend_name(), "error": str(exc)}},
            status=503,
        )
    return JsonResponse(
        {"status": "ok", "database": {"backend": backend_name(), "version": version}}
    )


def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Unknown paths under /api/ answer in the API's error shape, not an HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error_context(status: int, title: str, message: str, reason: str = "") -> dict:
    return {
        "error_status": status,
        "error_title": title,
        "error_message": message,
        "error_reason": reason,
    }


def error_page(
    request: HttpRequest, status: int, title: str, message: str, reason: str = ""
) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": reason or title}, status=status)
    return render(request, "error.html", _error_context(status, title, message, reason),
                  status=status)  # fmt: skip


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request, 400, _("Bad request"), _("The server could not understand this request.")
    )


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A page the user's role may not open. The reason is ours (e.g. access.PAGE_REFUSALS)."""
    return error_page(
        request,
        403,
        _("You may not open this page"),
        _("Your role does not give you access to this page. Your own pages are in the menu."),
        str(exception or ""),
    )


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Nothing here, or nothing the user may see (the same answer: access.NotInScope)."""
    if _is_api(request):
        return api_not_found(request)
    # The exception's text is not shown: Django's own names models ("No Account matches...").
    return error_page(
        request,
        404,
        _("Page not found"),
        _("There is nothing at this address, or it is not yours to see."),
    )


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """The styled 500; if the page itself cannot be drawn (the database is what failed, and the
    header asks it who the user is), the same page without the header."""
    title, message = _("Something went wrong"), _("The error was logged. Try again in a moment.")
    if _is_api(request):
        return JsonResponse({"detail": title}, status=500)
    try:
        return error_page(request, 500, title, message)
    except Exception:
        logger.exception("the 500 page failed; answering it without the header")
        page = render_to_string("error.html", _error_context(500, title, message))
        return HttpResponse(page, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with a stale or missing CSRF token (a page left open across a login):
    the styled 403 telling what to do, instead of Django's technical page."""
    return error_page(
        request,
        403,
        _("This form has expired"),
        _("Go back, reload the page and send the form again."),
    )
