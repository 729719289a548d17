"""Refuse NUL characters and absurdly nested JSON in API input before anything else sees them.

PostgreSQL cannot store a NUL in text and raises a DataError (a 500) when asked to; SQLite
stores it silently. Refusing it at the door gives the same clear 422, naming the field, on both
databases and for every endpoint, query strings and forms included, and whatever content type
the client claims (the API reads any non-multipart body as JSON). JSON nested deeper than any
of our shapes (900 levels of custom_fields overflowed the encoder) is refused the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

NUL = "\x00"
# Our deepest shape (a push's mutation changes) is 6 levels; 32 leaves room and no more.
MAX_DEPTH = 32
PHOTO_PART_PATH = re.compile(r"^/api/v1/photos/[^/]+$")


def _scan(value: Any) -> tuple[bool, list[tuple[str | int, ...]]]:
    """One walk of a parsed JSON body (no recursion, so any depth is safe): whether it nests
    deeper than MAX_DEPTH, and where NUL characters hide (keys included)."""
    found: list[tuple[str | int, ...]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ("body",))]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                found.append(path)
        elif isinstance(item, dict | list):
            if len(path) > MAX_DEPTH:
                return True, []
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str) and NUL in key:
                    found.append((*path, key))
                stack.append((child, (*path, key)))
    return False, sorted(found, key=str)


def _query_paths(request: HttpRequest) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = []
    for source, data in (("query", request.GET), ("form", request.POST)):
        for key, values in data.lists():
            if NUL in key or any(NUL in v for v in values):
                found.append((source, key.replace(NUL, "")))
    return found


def _body_problems(request: HttpRequest) -> list[tuple[tuple[str | int, ...], str]]:
    if (request.content_type or "").startswith("multipart/") or not request.body:
        return []  # uploads: their form fields are checked with the query; files by importers
    if request.method == "PATCH" and PHOTO_PART_PATH.match(request.path):
        # A photo's part (resumable upload): raw bytes, checked when the photo is whole. Only
        # that operation: any other endpoint reads the body as JSON whatever its content type.
        return []
    try:
        data = json.loads(request.body)
    except RecursionError:
        return [(("body",), _("The JSON is nested too deeply."))]
    except ValueError:
        if NUL.encode() in request.body:
            return [(("body",), _("NUL characters are not allowed."))]
        return []  # malformed JSON: the API answers that itself
    too_deep, nul_at = _scan(data)
    if too_deep:
        return [(("body",), _("The JSON is nested too deeply."))]
    return [(path, _("NUL characters are not allowed.")) for path in nul_at]


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            nul = _("NUL characters are not allowed.")
            try:
                problems = [(p, nul) for p in _query_paths(request)] + _body_problems(request)
            except RequestDataTooBig:
                # Django's own answer is an HTML 400; the API's is JSON naming the body.
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                msg = _("The request body is larger than %(kb)s KB.") % {"kb": limit // 1024}
                return JsonResponse({"detail": [{"loc": ["body"], "msg": msg}]}, status=413)
            if problems:
                detail = [{"loc": list(path), "msg": msg} for path, msg in problems]
                return JsonResponse({"detail": detail}, status=422)
        return self.get_response(request)
