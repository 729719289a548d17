"""The authentication backend: Django's ModelBackend behind the one login throttle."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from fieldcrm.users import throttle


class ThrottledModelBackend(ModelBackend):
    """Refuses a locked account or client address before looking at the password.

    PermissionDenied stops ``authenticate`` at once (no other backend is tried) and sends
    ``user_login_failed``; the login pages and the API tell the user it is locked.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        name = username if username is not None else kwargs.get(self._username_field(), "")
        if throttle.is_locked(username=str(name or ""), ip=throttle.client_ip(request)):
            if request is not None:
                setattr(request, throttle.REFUSED, True)
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            throttle.record_success(username=str(name or ""))
        return user

    @staticmethod
    def _username_field() -> str:
        from fieldcrm.users.models import User

        return User.USERNAME_FIELD
