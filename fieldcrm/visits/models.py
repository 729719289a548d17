"""Visits: planned, checked in, logged."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.geo import validate_point
from fieldcrm.core.models import SyncedModel


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    MISSED = "missed", _("Missed")


class VisitOutcome(models.TextChoices):
    NONE = "", _("—")
    ORDER = "order", _("Order taken")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    NO_INTEREST = "no_interest", _("No interest")
    NOT_MET = "not_met", _("Decision maker not met")
    CLOSED = "closed", _("Found closed")


class Visit(SyncedModel):
    # The choices are module-level classes: each gets its own name in the OpenAPI schema.
    Status = VisitStatus
    Outcome = VisitOutcome

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="visits",
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    scheduled_on = models.DateField(_("scheduled for"), null=True, blank=True)
    # A booked appointment must be planned; other visits may be dropped when the day is full.
    is_required = models.BooleanField(_("booked appointment"), default=False)
    window_start = models.TimeField(_("appointment from"), null=True, blank=True)
    window_end = models.TimeField(_("appointment until"), null=True, blank=True)
    # Set when a route plan is published: the phone's Today orders and times stops by these.
    route_sequence = models.PositiveSmallIntegerField(_("stop number"), null=True, blank=True)
    planned_arrival_at = models.DateTimeField(_("planned arrival"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    check_in_location = models.PointField(
        _("check-in location"), srid=4326, null=True, blank=True, validators=[validate_point]
    )
    check_in_accuracy_m = models.FloatField(_("GPS accuracy (m)"), null=True, blank=True)
    # When the GPS fix itself was taken (the phone's own time for it), so a reused or old fix
    # shows. A check-in without a position has neither location, accuracy nor fix time: the
    # position is recorded as missing, never guessed (issue 14).
    check_in_fix_at = models.DateTimeField(_("GPS fix taken"), null=True, blank=True)
    distance_m = models.FloatField(_("distance from account (m)"), null=True, blank=True)
    # When the rep left (issue 21): with the check-in it gives the time on site. A visit
    # checked in and not yet checked out is "open" (the phone offers to close it).
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.NONE, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    # The phone's clock ran more than a day ahead of the server when it sent a time: the
    # time was replaced by the moment the server received it (history may be backdated).
    clock_skew = models.BooleanField(_("phone clock ahead"), default=False)

    class Meta:
        ordering = ["-scheduled_on", "-checked_in_at"]
        indexes = [
            models.Index(fields=["rep", "scheduled_on"]),
            # The pull's lookups (issue 22): a rep's own visits, a manager's by account.
            models.Index(fields=["rep", "change_seq"], name="visit_sync_rep"),
            models.Index(fields=["account", "change_seq"], name="visit_sync_account"),
        ]

    def __str__(self) -> str:
        return f"{self.account} ({self.get_status_display()})"

    @property
    def time_on_site(self) -> dt.timedelta | None:
        """From check-in to check-out; None while either is missing."""
        if self.checked_in_at is None or self.checked_out_at is None:
            return None
        return self.checked_out_at - self.checked_in_at

    @property
    def time_on_site_minutes(self) -> int | None:
        """Whole minutes on site, rounded (what pages show)."""
        spent = self.time_on_site
        return None if spent is None else round(spent.total_seconds() / 60)

    def clean(self) -> None:
        super().clean()
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise ValidationError({"window_end": _("The appointment must end after it starts.")})
        if self.status == self.Status.DONE and not (self.completed_at or self.checked_in_at):
            raise ValidationError({"completed_at": _("A done visit needs a completion time.")})
        if self.checked_out_at is not None and self.checked_in_at is None:
            raise ValidationError({"checked_out_at": _("A check-out needs a check-in.")})
        if self.checked_out_at is not None and self.checked_out_at < self.checked_in_at:  # type: ignore[operator]
            raise ValidationError(
                {"checked_out_at": _("The check-out cannot be before the check-in.")}
            )
        if self.check_in_location is None and (
            self.check_in_fix_at is not None or self.check_in_accuracy_m is not None
        ):
            raise ValidationError(
                {"check_in_location": _("A GPS fix's time and accuracy need its position.")}
            )
