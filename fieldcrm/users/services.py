"""Authentication rules: login (through the throttle), passwords, personal API tokens,
revoking a user's access."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.core.errors import DomainError
from fieldcrm.users import throttle
from fieldcrm.users.models import ApiToken, User

TOKEN_PREFIX = "fcrm_"
TOKEN_MAX_LIFETIME = dt.timedelta(days=366)


class TooManyAttempts(Exception):
    pass


def client_ip(request: HttpRequest) -> str:
    return throttle.client_ip(request)


def login_check(*, username: str, password: str, request: HttpRequest) -> User:
    """The user for these credentials, through the one login throttle (users/throttle.py)."""
    if throttle.is_locked(username=username, ip=throttle.client_ip(request)):
        raise TooManyAttempts(locked_message())
    user = authenticate(request, username=username, password=password)
    if user is None:
        # The backend may have found the lock (another process counted the last failure).
        if throttle.was_refused(request):
            raise TooManyAttempts(locked_message())
        raise DomainError("password", _("Wrong username or password."))
    return user


def locked_message() -> str:
    return _("Too many failed logins; try again in 15 minutes.")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *, user: User, name: str, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once; only its hash is kept).

    ``expires_at``: optional, in the future and at most a year ahead.
    """
    name = name.strip()
    if not name:
        raise DomainError("name", _("Give the token a name."))
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise DomainError("expires_at", _("Give the time with its UTC offset."))
        now = timezone.now()
        if expires_at <= now:
            raise DomainError("expires_at", _("The expiry must be in the future."))
        if expires_at > now + TOKEN_MAX_LIFETIME:
            raise DomainError("expires_at", _("A token lives at most one year."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=secret[:12],
        key_hash=_hash(secret),
        expires_at=expires_at,
    )
    token.secret = secret
    return token, secret


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(secret: str) -> tuple[User | None, str]:
    """The active user behind a live token, else None and why (a code for the 401)."""
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(secret)).first()
    if token is None:
        return None, "not_authenticated"
    dead = token.dead_since()
    if dead is not None:
        return None, dead[0]
    if not token.user.is_active:
        return None, "revoked"
    now = timezone.now()
    # Writing on every request would serialise integrations on SQLite; once a minute is enough.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, ""


def password_check(*, user: User, password: str) -> None:
    """Django's AUTH_PASSWORD_VALIDATORS, as a refusal naming ``password``."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None


@transaction.atomic
def user_revoke_access(*, user: User) -> int:
    """End every session and token of ``user`` now (a lost phone, a rep who leaves); the
    phone that comes back is told to wipe its data. Returns how many tokens were live."""
    now = timezone.now()
    user.access_revoked_at = now
    user.save(update_fields=["access_revoked_at"])
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
