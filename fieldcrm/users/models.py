"""Users and their roles: admin, manager and planner of a region, rep."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
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

    class Meta:
        ordering = ["username"]

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

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
