"""Ends a session begun before its user's access was revoked (a lost phone, a rep who left).

Revoking keeps the session rows and marks the user instead (``User.access_revoked_at``): the
phone that comes back with such a session is logged out here and told why (the API's 401
carries ``"code": "revoked"``), so it can wipe its local data. A session that merely expired
is gone from the store and answers an ordinary 401, which never wipes anything.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse

from fieldcrm.users.models import User
from fieldcrm.users.signals import SESSION_AUTH_AT

AUTH_FAILURE = "fieldcrm_auth_failure"


def _revoked(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    if session is None or session.get(SESSION_KEY) is None:
        return False
    user_id = session[SESSION_KEY]
    user = request.user
    if user.is_authenticated:
        revoked_at = user.access_revoked_at
    else:
        # An inactive user is anonymous to Django, but their session still says who it was.
        revoked_at = (
            User.objects.filter(pk=user_id).values_list("access_revoked_at", flat=True).first()
        )
    return revoked_at is not None and revoked_at.timestamp() >= session.get(SESSION_AUTH_AT, 0)


class RevokedSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _revoked(request):
            logout(request)
            setattr(request, AUTH_FAILURE, "revoked")
        return self.get_response(request)
