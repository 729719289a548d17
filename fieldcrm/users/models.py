"""Users and their roles: admin, manager and planner of a region, rep."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.hashers import acheck_password, check_password
from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.geo import validate_point


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday..Friday, ISO weekday - 1


class UserRole(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    PLANNER = "planner", _("Planner")
    REP = "rep", _("Sales rep")


class User(AbstractUser):
    # The choices are module-level classes: each gets its own name in the OpenAPI schema.
    Role = UserRole

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REP)
    # A manager or planner may cover several regions; a rep's scope comes from territories.
    regions = models.ManyToManyField(
        "territories.Region",
        verbose_name=_("regions"),
        blank=True,
        related_name="members",
        help_text=_("The regions a manager or planner works in."),
    )
    home_base = models.PointField(
        _("home base"), srid=4326, null=True, blank=True, validators=[validate_point]
    )
    shift_start = models.TimeField(_("shift start"), default=dt.time(8, 30))
    shift_end = models.TimeField(_("shift end"), default=dt.time(17, 30))
    break_start = models.TimeField(_("break earliest start"), null=True, blank=True)
    break_end = models.TimeField(_("break latest end"), null=True, blank=True)
    break_minutes = models.PositiveSmallIntegerField(_("break minutes"), default=0)
    working_days = models.JSONField(_("working days"), default=default_working_days, blank=True)
    max_visits_per_day = models.PositiveSmallIntegerField(
        _("maximum visits per day"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    # Tokens minted before this instant stop working: set by every path that changes the
    # password (API, admin, changepassword, password reset all call set_password).
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    # Sessions begun and tokens minted before this instant are dead, and a phone that comes
    # back with such a session is told to wipe its local data (users.services.user_revoke_access).
    access_revoked_at = models.DateTimeField(_("access revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["username"]

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self.password_changed_at = timezone.now()

    def check_password(self, raw_password: str | None) -> bool:
        # Django re-hashes a correct password when its hasher's parameters grow (an upgrade);
        # that is the same password, so it must not count as a change that revokes tokens.
        def rehash(raw: str | None) -> None:
            super(User, self).set_password(raw)
            self._password = None
            self.save(update_fields=["password"])

        return check_password(raw_password, self.password, rehash)

    async def acheck_password(self, raw_password: str | None) -> bool:
        async def rehash(raw: str | None) -> None:
            super(User, self).set_password(raw)
            self._password = None
            await self.asave(update_fields=["password"])

        return await acheck_password(raw_password, self.password, rehash)

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is not None and "password" in fields and self._password is not None:
            # A new password saved alone still records when it changed (row-local rule).
            kwargs["update_fields"] = {*fields, "password_changed_at"}
        revoked, logged_in = self.access_revoked_at, self.last_login
        if not self.is_active and (revoked is None or (logged_in and revoked < logged_in)):
            # Deactivating someone ends their sessions and tokens as revoking does (and tells
            # their phone to wipe itself): whoever holds the phone is not them any more.
            self.access_revoked_at = timezone.now()
            if fields is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "access_revoked_at"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.shift_start and self.shift_end and self.shift_end <= self.shift_start:
            raise ValidationError({"shift_end": _("The shift must end after it starts.")})
        if not isinstance(self.working_days, list) or any(
            not isinstance(d, int) or not 0 <= d <= 6 for d in self.working_days
        ):
            raise ValidationError({"working_days": _("Working days are weekday numbers 0..6.")})
        if self.break_minutes and not (self.break_start and self.break_end):
            raise ValidationError({"break_start": _("A break needs a window.")})

    @property
    def display_name(self) -> str:
        """How people see this user everywhere: the full name, else the username."""
        return self.get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser


class ApiToken(models.Model):
    """A personal token for integrations, sent as ``Authorization: Bearer``.

    Only a SHA-256 of the secret is stored; the secret is shown once, at creation.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # The secret itself, on the object token_create returns only (never stored).
    secret: str | None = None

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def dead_since(self) -> tuple[str, dt.datetime] | None:
        """Why and since when this token no longer works (None: it works). Needs ``user``."""
        user = self.user
        for code, at in (
            ("revoked", user.access_revoked_at),
            ("password_changed", user.password_changed_at),
        ):
            if at is not None and at >= self.created_at:
                return code, at
        if self.revoked_at is not None:
            return "token_revoked", self.revoked_at
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "token_expired", self.expires_at
        return None


class LoginThrottle(models.Model):
    """Failed logins counted per key (an account or a client address) in a fixed window.

    The store of users.throttle when no Redis is configured: a table every process shares.
    """

    key = models.CharField(max_length=80, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_ends_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
