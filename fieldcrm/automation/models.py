"""Automation: the outbox of domain events, rules run on them, outbound webhooks fed by them.

An ``Event`` is written by the service that made the change, in the same transaction (so a
change that rolls back leaves no event, and a committed one always has its event); the worker
reads events afterwards and runs the rules and webhooks subscribed to them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    ACCOUNT_CREATED = "account.created", _("An account is created")
    ACCOUNT_CHANGED = "account.changed", _("An account's status or owner changes")
    LEAD_RECEIVED = "lead.received", _("A lead arrives from a web form")
    DEAL_CREATED = "deal.created", _("A deal is created")
    DEAL_CHANGED = "deal.changed", _("A deal is edited")
    DEAL_STAGE_ENTERED = "deal.stage_entered", _("A deal enters a stage")
    VISIT_LOGGED = "visit.logged", _("A visit is logged")
    TASK_CREATED = "task.created", _("A task is created")
    TASK_COMPLETED = "task.completed", _("A task is done")
    # Time-based: written by the scheduler's scan (schedule.py), one event per rule.
    TASK_OVERDUE = "task.overdue", _("A task becomes overdue")
    ACCOUNT_PAST_CADENCE = "account.past_cadence", _("An account is N days past its visit cadence")
    ACCOUNT_ANNIVERSARY = "account.anniversary", _("A date field's anniversary")


# Events of these kinds are not a record's change but a moment reached: the scheduler writes
# them for one rule at a time (``Event.rule``), keyed by the occurrence (``Event.key``).
TIME_TRIGGERS = (
    EventType.TASK_OVERDUE, EventType.ACCOUNT_PAST_CADENCE, EventType.ACCOUNT_ANNIVERSARY,
)  # fmt: skip


class Event(models.Model):
    """One thing that happened, written with the change (the outbox)."""

    Type = EventType

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("event"), max_length=32, choices=EventType.choices)
    record_type = models.CharField(max_length=16)
    record_id = models.CharField(max_length=64)
    # The record as it is after the change (plain values), and what changed.
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # 0: a person's change; n: made by a rule run on an event of depth n - 1 (the loop bound).
    depth = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # The worker's claim (a lease, as for deliveries) and when it finished with the event.
    claimed_until = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # A time-based event: the one rule it is for, and its occurrence (rule + record + the
    # moment reached), unique so a second scheduler or a rerun writes nothing twice.
    rule = models.ForeignKey(
        "Rule", null=True, blank=True, on_delete=models.CASCADE, related_name="time_events"
    )
    key = models.CharField(max_length=160, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["processed_at", "created_at"], name="event_pending")]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_type}:{self.record_id}"


class Rule(models.Model):
    """When ``trigger`` happens, if every condition holds, do the actions in order."""

    name = models.CharField(_("name"), max_length=120)
    trigger = models.CharField(_("when"), max_length=32, choices=EventType.choices)
    # [{"field": "stage", "op": "eq", "value": "Proposal"}, ...]
    # A time trigger's parameters: {"days": 30} (overdue, past cadence; "since": "last_visit"
    # counts from the last visit instead of the due visit), {"field": "birthday"} (anniversary).
    trigger_params = models.JSONField(default=dict, blank=True)
    conditions = models.JSONField(_("if"), default=list, blank=True)
    # [{"type": "create_task", "title": "Call", "due_in_days": 2, "assignee": "owner"}, ...]
    actions = models.JSONField(_("then"), default=list)
    enabled = models.BooleanField(_("enabled"), default=True)
    template = models.CharField(max_length=40, blank=True)
    # The rule acts as the admin who made it (their scope is everything).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("automation rule")

    def __str__(self) -> str:
        return self.name


class RuleRunStatus(models.TextChoices):
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Conditions not met")
    FAILED = "failed", _("Failed")
    LOOP = "loop", _("Stopped: loop bound")


class RuleRun(models.Model):
    """One rule on one event: what it did, or why not. Unique per (rule, event): a redelivered
    event finds its run taken and does nothing."""

    # Module-level choices: each gets its own name in the OpenAPI schema.
    Status = RuleRunStatus

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=8, choices=Status.choices)
    # One line per action: what it made ("task 3f2… due 2026-03-05") or the error.
    log = models.JSONField(default=list, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("rule run")
        constraints = [
            models.UniqueConstraint(fields=["rule", "event"], name="one_run_per_rule_and_event")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.event_id}: {self.status}"


class Webhook(models.Model):
    """A URL told of events of the chosen types, signed with its secret."""

    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=80, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["url", "id"]
        verbose_name = _("webhook")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event to one webhook. Sent by the notifications worker through its Delivery row
    (claim, lease, backoff); the idempotency key is the event's id, the same on every attempt
    and every replay."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="webhook_deliveries")
    delivery = models.OneToOneField(
        "notifications.Delivery", on_delete=models.CASCADE, related_name="webhook_delivery"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Retries go on for 24 hours from here: the first attempt, or the last replay.
    retry_from = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="one_delivery_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.webhook_id}"

    @property
    def idempotency_key(self) -> str:
        return str(self.event_id)


class WebhookAttempt(models.Model):
    """One POST: when, the answer's status (None: no answer), the error, how long it took."""

    webhook_delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempts"
    )
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.webhook_delivery_id} @ {self.at}: {self.status_code or self.error}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
