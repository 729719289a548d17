"""Two writers that met at the same rows at the same moment: a deadlock PostgreSQL broke by
failing one of them, a serialisation failure, SQLite's wait for its write lock running out.

The losing transaction was rolled back whole, so nothing of that request was saved, and the
same request sent again succeeds. It is answered 409 "try again" (JSON for the API, the styled
page elsewhere) with ``Retry-After``, never a 500. Where it can happen (issue 22): a push
takes its change number late (``core.models.numbered_at_commit``); a web writer holding the
number that then waits on a row the push has just inserted (the same key) closes a cycle when
the push asks for the number. The push runs itself again (``sync_push``); the web request is
answered here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from fieldcrm.core.views import error_page

log = logging.getLogger(__name__)

# deadlock_detected, serialization_failure, lock_not_available (PostgreSQL's SQLSTATEs)
SQLSTATES = frozenset({"40P01", "40001", "55P03"})
RETRY_AFTER_S = 1


def is_contention(exc: BaseException) -> bool:
    """Whether ``exc`` is a transaction lost to another writer (sent again, it can succeed)."""
    if not isinstance(exc, OperationalError):
        return False
    if getattr(exc.__cause__, "sqlstate", None) in SQLSTATES:
        return True
    return "database is locked" in str(exc)  # SQLite: the busy timeout ran out


class ContentionMiddleware:
    """Answer a request that lost to another writer with 409 and ``Retry-After``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_contention(exc):
            return None
        log.warning("%s %s lost to another writer: %s", request.method, request.path, exc)
        response = error_page(
            request,
            409,
            _("Someone else was saving the same records"),
            _("Nothing of yours was saved. Send it again."),
            reason=_("Another change to the same records was being saved; nothing of yours was "
                     "saved. Send it again."),
        )  # fmt: skip
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
