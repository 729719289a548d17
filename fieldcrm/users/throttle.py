"""The one login throttle: every path that checks a password (the API's login, /login/,
/admin/login/, anything calling ``authenticate``) counts failures here and is refused here.

Failures are counted per account and per client address in a fixed window, in a store every
process shares: Redis when ``FIELDCRM_REDIS_URL`` is set, else the database (LoginThrottle).
A per-process cache would let a second worker, or a second server, in.

How it is wired: ``ThrottledModelBackend.authenticate`` refuses a locked account or address
before the password is looked at (so nothing that calls ``authenticate`` can skip it), and
Django's ``user_login_failed`` signal counts each failure (users/apps.py connects it). The
login pages and the API ask ``is_locked`` first, to answer with the locked message instead of
"wrong password".
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from fieldcrm.users.models import LoginThrottle

MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20
WINDOW_S = 15 * 60
_PREFIX = "fieldcrm:login-fail:"
# Set on the request when the backend refused a locked login (the answer says "locked").
REFUSED = "fieldcrm_login_locked"


def was_refused(request: HttpRequest | None) -> bool:
    return bool(getattr(request, REFUSED, False))


def client_ip(request: HttpRequest | None) -> str:
    return "" if request is None else request.META.get("REMOTE_ADDR", "")


def _keys(username: str, ip: str) -> list[tuple[str, int]]:
    """(key, limit) pairs: the account (any spelling of its name) and the client address."""
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    keys = [(f"user:{digest}", MAX_FAILURES_PER_ACCOUNT)]
    if ip:
        keys.append((f"ip:{ip}", MAX_FAILURES_PER_IP))
    return keys


@functools.cache
def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=5)


def _count(key: str) -> int:
    if settings.REDIS_URL:
        value = _redis(settings.REDIS_URL).get(_PREFIX + key)
        return int(value or 0)
    row = LoginThrottle.objects.filter(key=key, window_ends_at__gt=timezone.now()).first()
    return 0 if row is None else row.failures


def _add_failure(key: str) -> None:
    if settings.REDIS_URL:
        # The window starts at the first failure (EXPIRE NX); INCR is atomic across servers.
        pipe = _redis(settings.REDIS_URL).pipeline()
        pipe.incr(_PREFIX + key)
        pipe.expire(_PREFIX + key, WINDOW_S, nx=True)
        pipe.execute()
        return
    now = timezone.now()
    with transaction.atomic():
        # One UPDATE ... SET failures = failures + 1: concurrent failures all count.
        if LoginThrottle.objects.filter(key=key, window_ends_at__gt=now).update(
            failures=F("failures") + 1
        ):
            return
        ends = now + dt.timedelta(seconds=WINDOW_S)
        try:
            with transaction.atomic():
                LoginThrottle.objects.update_or_create(
                    key=key, defaults={"failures": 1, "window_ends_at": ends}
                )
        except IntegrityError:
            # Another process created the row meanwhile: count on it.
            LoginThrottle.objects.filter(key=key).update(failures=F("failures") + 1)
        # Windows long past are of no use to anyone.
        LoginThrottle.objects.filter(window_ends_at__lt=now - dt.timedelta(days=1)).delete()


def _clear(key: str) -> None:
    if settings.REDIS_URL:
        _redis(settings.REDIS_URL).delete(_PREFIX + key)
    else:
        LoginThrottle.objects.filter(key=key).delete()


def is_locked(*, username: str, ip: str) -> bool:
    """Whether this account or this address has used up its failures for the window."""
    return any(_count(key) >= limit for key, limit in _keys(username, ip))


def record_failure(*, username: str, ip: str) -> None:
    for key, _limit in _keys(username, ip):
        _add_failure(key)


def record_success(*, username: str) -> None:
    """A right password (while not locked) forgives the account's earlier failures."""
    _clear(_keys(username, "")[0][0])


def username_of(credentials: dict[str, Any]) -> str:
    from fieldcrm.users.models import User

    return str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")
