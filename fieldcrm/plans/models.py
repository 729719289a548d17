"""Route plans: a rep's ordered day (RoutePlan, RouteStop) and the planner runs (PlanJob).

The tables keep the names they had when these models lived in the visits app (``db_table``),
so moving the models into their own app needed no copy of rows (migration plans/0001).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.models import SyncedModel
from fieldcrm.visits.models import Visit


class RoutePlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class RoutePlan(models.Model):
    # The choices are module-level classes: each gets its own name in the OpenAPI schema.
    Status = RoutePlanStatus

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
        db_table = "visits_routeplan"
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

    @property
    def done_count(self) -> int:
        """Stops whose visit is done (from the prefetched stops and visits when there are)."""
        return sum(1 for s in self.stops.all() if s.visit and s.visit.status == Visit.Status.DONE)


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
    # Not a column: the drafts this stop may move to, set by plans.selectors.planner_day.
    move_targets: list[RoutePlan]
    # Not a column either: a stop the rep added on the phone (issue 21), set by planner_day.
    added_by_rep: bool

    class Meta:
        db_table = "visits_routestop"
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="stop_sequence_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.account}"


class PlanJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PlanJob(models.Model):
    """One run of the route planner for a region and a date (or ``horizon_days`` from it).

    At most one job per region and start date may be queued or running: a partial unique
    constraint decides which of two planners clicking at once wins, inside the database.
    """

    # The choices are module-level classes: each gets its own name in the OpenAPI schema.
    Status = PlanJobStatus

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
        db_table = "visits_planjob"
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


class RouteSheet(SyncedModel):
    """A published plan as its rep's phone carries it (issue 19): what the phone needs to
    re-sequence the rest of the day offline (``day``: each stop's visit length, opening
    windows and pin, the shift end, the break, home, and the plan's drive times between
    the stops), and the order the rep last chose.

    Written by ``plan_publish``; a tombstone once the plan is unpublished or replaced. The
    phone edits ``order`` and ``dropped`` only (``route_sheet_reorder``), which moves the
    plan's stops and visits with them, so the planner's page shows the rep's order.
    """

    plan = models.OneToOneField(RoutePlan, on_delete=models.CASCADE, related_name="sheet")
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    date = models.DateField(_("date"))
    day = models.JSONField(default=dict, blank=True)
    # [{"visit_id", "arrival_at"}] for the stops not yet done, in route order.
    order = models.JSONField(default=list, blank=True)
    # [{"visit_id", "reason"}]: stops the rep's re-plan found no longer fit today.
    dropped = models.JSONField(default=list, blank=True)
    edited_by_rep_at = models.DateTimeField(_("re-planned by the rep"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["rep", "change_seq"], name="routesheet_sync_rep")]

    def __str__(self) -> str:
        return f"{self.plan} (sheet)"
