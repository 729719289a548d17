"""Plain views of the core: the health check, the API's JSON 404."""

from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fieldcrm.core.geo import backend_name, backend_version


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
