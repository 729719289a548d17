"""Visits, and the daily route plans that order them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.geo import validate_point
from fieldcrm.core.models import SyncedModel


class Visit(SyncedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        MISSED = "missed", _("Missed")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        ORDER = "order", _("Order taken")
        FOLLOW_UP = "follow_up", _("Follow-up needed")
        NO_INTEREST = "no_interest", _("No interest")
        NOT_MET = "not_met", _("Decision maker not met")
        CLOSED = "closed", _("Found closed")

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
    distance_m = models.FloatField(_("distance from account (m)"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.NONE, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-scheduled_on", "-checked_in_at"]
        indexes = [models.Index(fields=["rep", "scheduled_on"])]

    def __str__(self) -> str:
        return f"{self.account} ({self.get_status_display()})"

    def clean(self) -> None:
        super().clean()
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise ValidationError({"window_end": _("The appointment must end after it starts.")})
        if self.status == self.Status.DONE and not (self.completed_at or self.checked_in_at):
            raise ValidationError({"completed_at": _("A done visit needs a completion time.")})


class RoutePlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.CASCADE,
        related_name="route_plans",
    )
    region = models.ForeignKey(
        "territories.Region", on_delete=models.CASCADE, related_name="route_plans"
    )
    date = models.DateField(_("date"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    path = models.LineStringField(_("route"), srid=4326, null=True, blank=True)
    distance_m = models.PositiveIntegerField(default=0)
    drive_s = models.PositiveIntegerField(default=0)
    work_s = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "rep"]
        constraints = [
            # One published plan per rep and day: it is the rep's Today.
            models.UniqueConstraint(
                fields=["rep", "date"],
                condition=models.Q(status="published"),
                name="one_published_plan_per_rep_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rep} {self.date} ({self.status})"


class RouteStop(models.Model):
    plan = models.ForeignKey(RoutePlan, on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveSmallIntegerField(_("order"))
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="route_stops"
    )
    arrival_at = models.DateTimeField(_("arrival"))
    start_at = models.DateTimeField(_("start"))
    departure_at = models.DateTimeField(_("departure"))
    wait_s = models.PositiveIntegerField(default=0)
    is_pinned = models.BooleanField(_("pinned"), default=False)

    class Meta:
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="stop_sequence_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.account}"


class PlanJob(models.Model):
    """One run of the route planner for a region and a date (or ``horizon_days`` from it).

    At most one job per region and start date may be queued or running: a partial unique
    constraint decides which of two planners clicking at once wins, inside the database.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    region = models.ForeignKey(
        "territories.Region", on_delete=models.CASCADE, related_name="plan_jobs"
    )
    date = models.DateField(_("date"))
    horizon_days = models.PositiveSmallIntegerField(_("working days"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    time_limit_s = models.FloatField(_("time limit (s)"), default=10.0)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    plans = models.ManyToManyField(RoutePlan, blank=True, related_name="jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "date"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_plan_job_per_region_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.date} ({self.status})"
