"""Authentication rules: login throttling and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.core.errors import DomainError
from fieldcrm.users.models import ApiToken, User

# Failed logins allowed per window, per account and per client address.
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20
FAILURE_WINDOW_S = 15 * 60
TOKEN_PREFIX = "fcrm_"


class TooManyAttempts(Exception):
    pass


def _failure_keys(username: str, ip: str) -> tuple[str, str]:
    digest = hashlib.sha256(username.lower().encode()).hexdigest()[:32]
    return f"login-fail:user:{digest}", f"login-fail:ip:{ip}"


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def login_check(*, username: str, password: str, ip: str) -> User:
    """The user for these credentials; throttled per account and per address."""
    user_key, ip_key = _failure_keys(username, ip)
    if (
        cache.get(user_key, 0) >= MAX_FAILURES_PER_ACCOUNT
        or cache.get(ip_key, 0) >= MAX_FAILURES_PER_IP
    ):
        raise TooManyAttempts(_("Too many failed logins; try again in 15 minutes."))
    user = authenticate(username=username, password=password)
    if user is None:
        for key in (user_key, ip_key):
            cache.add(key, 0, FAILURE_WINDOW_S)
            cache.incr(key)
        raise DomainError("password", _("Wrong username or password."))
    cache.delete(user_key)
    return user


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once; only its hash is kept)."""
    name = name.strip()
    if not name:
        raise DomainError("name", _("Give the token a name."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=secret[:12], key_hash=_hash(secret)
    )
    return token, secret


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_user(secret: str) -> User | None:
    """The active user behind a live token, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Writing on every request would serialise integrations on SQLite; once a minute is enough.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
