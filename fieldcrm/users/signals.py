"""Django's login signals, wired in users/apps.py: the throttle counts failures; a session
remembers when it was begun (revoking access ends the sessions begun before)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from fieldcrm.users import throttle

SESSION_AUTH_AT = "fieldcrm_auth_at"


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any
) -> None:
    throttle.record_failure(
        username=throttle.username_of(credentials), ip=throttle.client_ip(request)
    )


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kw: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_AUTH_AT] = timezone.now().timestamp()
