"""Plain views of the core: the health check."""

from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
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
