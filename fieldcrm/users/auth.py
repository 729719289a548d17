"""How API callers prove who they are: the session cookie (with CSRF) or a Bearer token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from fieldcrm.users.models import User
from fieldcrm.users.services import token_user


class ApiRequest(HttpRequest):
    """What a handler behind ``API_AUTH`` receives: ``auth`` is the signed-in, active user."""

    auth: User


class PageRequest(HttpRequest):
    """What a page behind ``login_required`` receives: ``user`` is signed in."""

    user: User


class ActiveSessionAuth(SessionAuth):
    """Django's session; ninja checks CSRF on unsafe methods for cookie auth."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


API_AUTH = [TokenAuth(), ActiveSessionAuth()]
