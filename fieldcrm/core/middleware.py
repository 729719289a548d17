"""Refuse NUL characters in API input before anything else sees them.

PostgreSQL cannot store a NUL in text and raises a DataError (a 500) when asked to; SQLite
stores it silently. Refusing it at the door gives the same clear 422, naming the field, on both
databases and for every endpoint, query strings and forms included.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

NUL = "\x00"


def nul_paths(value: Any, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    """Where in a parsed JSON value a NUL character hides (keys included)."""
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if NUL in str(key):
                found.append((*path, str(key)))
            found += nul_paths(item, (*path, key))
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in nul_paths(item, (*path, i))]
    return []


def _query_paths(request: HttpRequest) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = []
    for source, data in (("query", request.GET), ("form", request.POST)):
        for key, values in data.lists():
            if NUL in key or any(NUL in v for v in values):
                found.append((source, key.replace(NUL, "")))
    return found


def _body_paths(request: HttpRequest) -> list[tuple[str | int, ...]]:
    if not (request.content_type or "").endswith("json") or not request.body:
        return []
    try:
        data = json.loads(request.body)
    except ValueError:
        return []  # malformed JSON: the API answers that itself
    return nul_paths(data, ("body",))


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            paths = _query_paths(request) + _body_paths(request)
            if paths:
                msg = _("NUL characters are not allowed.")
                detail = [{"loc": list(p), "msg": msg} for p in paths]
                return JsonResponse({"detail": detail}, status=422)
        return self.get_response(request)
