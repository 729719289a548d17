"""How API callers prove who they are: the session cookie (with CSRF) or a Bearer token.

When neither works, the 401 says why in ``code`` (fieldcrm/api.py): ``revoked`` (an admin
revoked this user's access: a phone wipes its local data), ``token_expired``,
``token_revoked``, ``password_changed`` (tokens die with the password they were minted under),
or ``not_authenticated`` (no credentials, or a session that ended: log in again).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from fieldcrm.access import NotAllowed, NotInScope, require_page
from fieldcrm.tasks.selectors import user_timezone
from fieldcrm.users.middleware import AUTH_FAILURE
from fieldcrm.users.models import User
from fieldcrm.users.services import token_authenticate

VIA_TOKEN = "fieldcrm_via_token"


class ApiRequest(HttpRequest):
    """What a handler behind ``API_AUTH`` receives: ``auth`` is the signed-in, active user."""

    auth: User


class PageRequest(HttpRequest):
    """What a page behind ``login_required`` receives: ``user`` is signed in."""

    user: User


View = Callable[..., HttpResponseBase]


def page_view(area: str, *, local_time: bool = False) -> Callable[[View], View]:
    """The gate of every server page of ``area`` (``access.PAGE_ROLES``, which the navigation
    follows): signed in, else the login page; allowed, else the styled 403. A record out of the
    reader's scope (``NotInScope``) is the styled 404, the same as a missing one, so a page never
    tells that it exists. ``local_time``: the page shows and reads times in the reader's zone."""

    def decorate(view: View) -> View:
        @login_required
        @functools.wraps(view)
        def wrapper(request: PageRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                require_page(request.user, area)
                if not local_time:
                    return view(request, *args, **kwargs)
                with timezone.override(user_timezone(user=request.user)):
                    return view(request, *args, **kwargs)
            except NotInScope:
                raise Http404(_("Not found.")) from None
            except NotAllowed as exc:
                raise PermissionDenied(str(exc)) from None

        return wrapper

    return decorate


class ActiveSessionAuth(SessionAuth):
    """Django's session; ninja checks CSRF on unsafe methods for cookie auth."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user, failure = token_authenticate(token)
        if user is None:
            setattr(request, AUTH_FAILURE, failure)
            return None
        request.user = user
        setattr(request, VIA_TOKEN, True)
        return user


def require_password_session(request: HttpRequest) -> None:
    """Refuse (403) a caller who came with a token: minting tokens needs a password login."""
    if getattr(request, VIA_TOKEN, False):
        raise NotAllowed(
            _("A token cannot create tokens: log in with your password to create one.")
        )


def auth_failure_code(request: HttpRequest) -> str:
    return getattr(request, AUTH_FAILURE, "") or "not_authenticated"


API_AUTH = [TokenAuth(), ActiveSessionAuth()]
