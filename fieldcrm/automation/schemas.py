"""Automation API shapes: rules, their runs, templates, webhooks and their delivery log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from fieldcrm.automation.models import (
    EventType,
    RuleRun,
    RuleRunStatus,
    WebhookAttempt,
    WebhookDelivery,
)
from fieldcrm.core.schemas import Input

Operator = Literal[
    "eq", "ne", "contains", "gt", "lt", "changed", "becomes", "empty", "not_empty",
    "in_segment", "not_in_segment",
]  # fmt: skip


class ConditionIn(Input):
    field: str = Field(
        "", max_length=60,
        description="A value of the event's data (not for in_segment / not_in_segment).",
    )  # fmt: skip
    op: Operator = "eq"
    value: Any = Field(
        None, description="What the field is compared with; for in_segment / not_in_segment "
        "the id of a saved segment of accounts the rule's owner may apply (the event's account "
        "is tested against it).",
    )  # fmt: skip


class ActionIn(Input):
    type: Literal[
        "create_task", "assign_owner", "notify", "add_tag", "set_status", "call_webhook",
        "send_email",
    ]  # fmt: skip
    title: str | None = Field(None, max_length=200, description="create_task; {field} is filled.")
    due_in_days: int | None = Field(None, ge=0, le=365, description="create_task")
    kind: str | None = Field(None, description="create_task: call, visit, email, other")
    assignee: str | int | None = Field(None, description="create_task: owner, actor or a user id")
    to: Any = Field(None, description="assign_owner: territory_rep or a user id; notify: a list "
                                      "of owner, actor, role:<role> or user ids")  # fmt: skip
    message: str | None = Field(None, max_length=300, description="notify")
    tag: str | None = Field(None, max_length=60, description="add_tag")
    status: str | None = Field(None, description="set_status (accounts)")
    webhook_id: int | None = Field(None, description="call_webhook")
    subject: str | None = Field(
        None, max_length=200, description="send_email (to the account's primary contact); "
        "{field} is filled",
    )  # fmt: skip
    body: str | None = Field(None, max_length=10_000, description="send_email; {field} is filled")


TRIGGER_PARAMS = (
    "Time triggers only: task.overdue {days}, account.past_cadence {days, since: visit_due or "
    "last_visit}, account.anniversary {field: a custom date field's key}."
)


class RuleIn(Input):
    name: str = Field(min_length=1, max_length=120)
    trigger: EventType
    trigger_params: dict[str, Any] = Field({}, description=TRIGGER_PARAMS)
    conditions: list[ConditionIn] = []
    actions: list[ActionIn] = Field(min_length=1)
    enabled: bool = True


class RulePatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    trigger: EventType | None = None
    trigger_params: dict[str, Any] | None = Field(None, description=TRIGGER_PARAMS)
    conditions: list[ConditionIn] | None = None
    actions: list[ActionIn] | None = None
    enabled: bool | None = None


class RuleFromTemplate(Input):
    template: str = Field(min_length=1, max_length=40)


class RuleOut(Schema):
    id: int
    name: str
    trigger: EventType
    trigger_params: dict[str, Any]
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    enabled: bool
    template: str
    created_at: dt.datetime


class TemplateOut(Schema):
    key: str
    name: str
    description: str
    trigger: EventType
    trigger_params: dict[str, Any]
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]


class RunFilters(Input):
    rule_id: int | None = None


class RuleRunOut(Schema):
    id: int
    rule_id: int
    rule: str
    event_id: uuid.UUID
    event: EventType
    record_type: str
    record_id: str
    status: RuleRunStatus
    log: list[str]
    at: dt.datetime

    @staticmethod
    def resolve_rule(obj: RuleRun) -> str:
        return obj.rule.name

    @staticmethod
    def resolve_event(obj: RuleRun) -> str:
        return obj.event.kind

    @staticmethod
    def resolve_record_type(obj: RuleRun) -> str:
        return obj.event.record_type

    @staticmethod
    def resolve_record_id(obj: RuleRun) -> str:
        return obj.event.record_id


class WebhookIn(Input):
    url: str = Field(max_length=500, description="http:// or https://")
    event_types: list[EventType] = Field(min_length=1)


class WebhookPatch(Input):
    url: str | None = Field(None, max_length=500)
    event_types: list[EventType] | None = None
    enabled: bool | None = Field(None, description="true again clears the failure count")


class WebhookOut(Schema):
    id: int
    url: str
    event_types: list[str]
    enabled: bool
    consecutive_failures: int
    disabled_reason: str
    created_at: dt.datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs every POST (HMAC-SHA256); shown to admins.")


class AttemptOut(Schema):
    at: dt.datetime
    status_code: int | None
    error: str
    duration_ms: int
    ok: bool


class WebhookDeliveryOut(Schema):
    id: int
    webhook_id: int
    event_id: uuid.UUID
    event: str
    idempotency_key: str
    status: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    last_error: str
    attempts: list[AttemptOut]

    @staticmethod
    def resolve_event(obj: WebhookDelivery) -> str:
        return obj.event.kind

    @staticmethod
    def resolve_status(obj: WebhookDelivery) -> str:
        return obj.delivery.status

    @staticmethod
    def resolve_next_attempt_at(obj: WebhookDelivery) -> dt.datetime | None:
        pending = obj.delivery.status == obj.delivery.Status.PENDING
        return obj.delivery.not_before if pending else None

    @staticmethod
    def resolve_last_error(obj: WebhookDelivery) -> str:
        return obj.delivery.last_error

    @staticmethod
    def resolve_attempts(obj: WebhookDelivery) -> list[WebhookAttempt]:
        return list(obj.attempts.all())
