"""Reads of automation rules, their runs, webhooks and their delivery log (admins only: the
access rule gives every other role none of these rows)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from fieldcrm.access import get_scoped, scoped
from fieldcrm.accounts.models import CustomFieldDefinition
from fieldcrm.automation.models import Rule, RuleRun, Webhook, WebhookAttempt, WebhookDelivery
from fieldcrm.crm.models import Segment
from fieldcrm.users.models import User

LOG_LIMIT = 100


def rule_list(*, actor: User) -> QuerySet[Rule]:
    return scoped(Rule, actor).select_related("created_by")


def rule_get(*, actor: User, rule_id: object) -> Rule:
    return get_scoped(Rule, actor, rule_id)


def rule_runs(*, actor: User, rule_id: object | None = None) -> QuerySet[RuleRun]:
    """The newest runs (of one rule, or of all), each with its rule and event."""
    runs = scoped(RuleRun, actor).select_related("rule", "event")
    if rule_id is not None:
        runs = runs.filter(rule=rule_get(actor=actor, rule_id=rule_id))
    return runs.order_by("-at", "-id")


def webhook_list(*, actor: User) -> QuerySet[Webhook]:
    return scoped(Webhook, actor).annotate(delivery_count=Count("deliveries"))


def webhook_get(*, actor: User, webhook_id: object) -> Webhook:
    return get_scoped(Webhook, actor, webhook_id)


def webhook_deliveries(*, actor: User, webhook_id: object | None = None) -> QuerySet:
    """The delivery log, newest first, each with its event, its Delivery row and attempts."""
    qs = scoped(WebhookDelivery, actor).select_related("webhook", "event", "delivery")
    if webhook_id is not None:
        qs = qs.filter(webhook=webhook_get(actor=actor, webhook_id=webhook_id))
    attempts = Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("at", "id"))
    return qs.prefetch_related(attempts).order_by("-created_at", "-id")


def rule_form_choices(*, actor: User) -> dict[str, Any]:
    """What the rule form offers: webhooks, the people a rule may name, the date fields an
    anniversary can be of, the saved segments of accounts the caller may apply."""
    return {
        "actor": actor,
        "segments": list(scoped(Segment, actor).filter(list_name="accounts").order_by("name")),
        "webhooks": webhook_list(actor=actor),
        "users": list(scoped(User, actor).filter(is_active=True).order_by("username")),
        "date_fields": list(CustomFieldDefinition.objects.filter(
            kind=CustomFieldDefinition.Kind.DATE, is_active=True).order_by("label")),
    }  # fmt: skip
