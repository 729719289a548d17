"""Writes of automation rules and webhooks: admins only (access.require_role), every field
checked before anything is saved, refusals naming the field."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from fieldcrm.access import get_scoped, require_role
from fieldcrm.accounts.models import Account, CustomFieldDefinition
from fieldcrm.automation.actions import ACTION_TYPES
from fieldcrm.automation.engine import OPERATORS, SEGMENT_OPS, segment_condition_check
from fieldcrm.automation.models import TIME_TRIGGERS, EventType, Rule, Webhook, WebhookDelivery
from fieldcrm.automation.presets import PRESETS_BY_KEY
from fieldcrm.core.errors import DomainError
from fieldcrm.notifications import clock
from fieldcrm.notifications.models import Delivery
from fieldcrm.users.models import User

MAX_DUE_DAYS = 365


def _text(spec: dict[str, Any], key: str, field: str, max_length: int = 200) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DomainError(field, _("This field cannot be empty."))
    if len(value) > max_length:
        raise DomainError(field, _("At most %(n)d characters here.") % {"n": max_length})
    return value.strip()


def _check_conditions(conditions: Any, *, actor: User) -> list[dict[str, Any]]:
    if not isinstance(conditions, list):
        raise DomainError("conditions", _("Give a list of conditions."))
    checked = []
    for i, c in enumerate(conditions):
        if isinstance(c, dict) and c.get("op") in SEGMENT_OPS:
            # On the event's account, not a field: the segment must be one the rule's owner
            # may apply (the run reads it as them).
            value = segment_condition_check(actor=actor, value=c.get("value"),
                                            field=f"conditions.{i}.value")  # fmt: skip
            checked.append({"field": "account", "op": c["op"], "value": value})
            continue
        if not isinstance(c, dict) or not str(c.get("field") or "").strip():
            raise DomainError("conditions", _("Each condition needs a field."))
        if c.get("op", "eq") not in OPERATORS:
            raise DomainError("conditions", _("Unknown operator %(op)s.") % {"op": c.get("op")})
        checked.append({"field": str(c["field"]).strip(), "op": c.get("op", "eq"),
                        "value": c.get("value")})  # fmt: skip
    return checked


def condition_check(condition: dict[str, Any], *, actor: User) -> dict[str, Any]:
    """One condition as a rule saved by ``actor`` would keep it (DomainError otherwise)."""
    return _check_conditions([condition], actor=actor)[0]


def action_check(spec: Any) -> dict[str, Any]:
    """One action as the engine runs it, or a DomainError saying what is wrong."""
    if not isinstance(spec, dict) or spec.get("type") not in ACTION_TYPES:
        raise DomainError("actions", _("Unknown action."))
    kind = spec["type"]
    if kind == "create_task":
        _text(spec, "title", "actions")
        days = spec.get("due_in_days", 0)
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DUE_DAYS:
            raise DomainError("actions", _("The due date is 0 to 365 days after the event."))
    elif kind == "notify":
        _text(spec, "message", "actions", max_length=300)
        if not isinstance(spec.get("to", ["owner"]), list):
            raise DomainError("actions", _("Give a list of people or roles to notify."))
    elif kind == "add_tag":
        _text(spec, "tag", "actions", max_length=60)
    elif kind == "set_status":
        if spec.get("status") not in Account.Status.values:
            raise DomainError("actions", _("Unknown account status."))
    elif kind == "call_webhook":
        webhook_id = spec.get("webhook_id")
        if not isinstance(webhook_id, int) or not Webhook.objects.filter(pk=webhook_id).exists():
            raise DomainError("actions", _("No such webhook."))
    elif kind == "send_email":
        _text(spec, "subject", "actions")
        _text(spec, "body", "actions", max_length=10_000)
    elif kind == "assign_owner" and not spec.get("to"):
        raise DomainError("actions", _("Say who becomes the owner."))
    return dict(spec)


def _check_trigger_params(trigger: str, params: Any) -> dict[str, Any]:
    """A time trigger's parameters (the others take none): days 0 to 365 (overdue, past
    cadence, with ``since``), a custom date field's key (anniversary)."""
    if params in (None, ""):
        params = {}
    if not isinstance(params, dict):
        raise DomainError("trigger_params", _("Give the trigger's parameters."))
    if trigger not in TIME_TRIGGERS:
        return {}
    if trigger == EventType.ACCOUNT_ANNIVERSARY:
        key = params.get("field")
        dates = CustomFieldDefinition.objects.filter(kind=CustomFieldDefinition.Kind.DATE)
        if not isinstance(key, str) or not dates.filter(key=key).exists():
            raise DomainError("trigger_params.field", _("Choose a custom date field."))
        return {"field": key}
    days = params.get("days", 0)
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DUE_DAYS:
        raise DomainError("trigger_params.days", _("Give 0 to 365 days."))
    checked: dict[str, Any] = {"days": days}
    if trigger == EventType.ACCOUNT_PAST_CADENCE:
        since = params.get("since") or "visit_due"
        if since not in ("visit_due", "last_visit"):
            raise DomainError(
                "trigger_params.since", _("Count from the visit due or the last visit.")
            )
        checked["since"] = since
    return checked


def _apply_rule(rule: Rule, data: dict[str, Any]) -> Rule:
    assert rule.created_by is not None  # every service sets who the rule acts as
    if "name" in data:
        rule.name = _text(data, "name", "name")
    if "trigger" in data:
        if data["trigger"] not in EventType.values:
            raise DomainError("trigger", _("Unknown trigger."))
        rule.trigger = data["trigger"]
    if "trigger" in data or "trigger_params" in data:
        rule.trigger_params = _check_trigger_params(
            rule.trigger, data.get("trigger_params", rule.trigger_params)
        )
    # Checked on every save: the rule acts as whoever saved it last, who must be able to
    # apply its segments too.
    rule.conditions = _check_conditions(
        data["conditions"] or [] if "conditions" in data else rule.conditions or [],
        actor=rule.created_by,
    )
    if "actions" in data:
        if not isinstance(data["actions"], list) or not data["actions"]:
            raise DomainError("actions", _("A rule needs at least one action."))
        rule.actions = [action_check(a) for a in data["actions"]]
    if "enabled" in data and data["enabled"] is not None:
        rule.enabled = bool(data["enabled"])
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def rule_create(*, actor: User, data: dict[str, Any]) -> Rule:
    require_role(actor)
    for name in ("name", "trigger", "actions"):
        if name not in data:
            raise DomainError(name, _("This field is required."))
    return _apply_rule(Rule(created_by=actor), data)


@transaction.atomic
def rule_from_preset(*, actor: User, key: str) -> Rule:
    """A rule made from a ready template (presets.PRESETS), enabled."""
    require_role(actor)
    preset = PRESETS_BY_KEY.get(key)
    if preset is None:
        raise DomainError("template", _("No such template."))
    rule = Rule(created_by=actor, template=key)
    return _apply_rule(rule, {
        "name": str(preset.name), "trigger": preset.trigger,
        "trigger_params": preset.trigger_params, "conditions": preset.conditions,
        "actions": [{k: str(v) if not isinstance(v, int | list) else v for k, v in a.items()}
                    for a in preset.actions],
    })  # fmt: skip


@transaction.atomic
def rule_update(*, actor: User, rule_id: object, data: dict[str, Any]) -> Rule:
    rule = get_scoped(Rule, actor, rule_id, write=True)
    # The rule acts as whoever saved it last (an admin).
    rule.created_by = actor
    return _apply_rule(rule, data)


@transaction.atomic
def rule_delete(*, actor: User, rule_id: object) -> None:
    get_scoped(Rule, actor, rule_id, write=True).delete()


# --- Webhooks ---


def webhook_url_check(url: Any) -> str:
    """http(s) with a host, else a DomainError on ``url``."""
    if not isinstance(url, str) or not url.strip():
        raise DomainError("url", _("This field cannot be empty."))
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise DomainError("url", _("Enter an http:// or https:// address.")) from None
    return url


def _event_types(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise DomainError("event_types", _("Choose at least one event."))
    # Time-based events are written for one rule each (schedule.py), not for subscribers.
    unknown = [v for v in value if v not in EventType.values or v in TIME_TRIGGERS]
    if unknown:
        raise DomainError("event_types", _("Unknown event %(e)s.") % {"e": unknown[0]})
    return sorted(set(value))


@transaction.atomic
def webhook_create(*, actor: User, data: dict[str, Any]) -> Webhook:
    require_role(actor)
    webhook = Webhook(
        url=webhook_url_check(data.get("url")), event_types=_event_types(data.get("event_types")),
        secret="whsec_" + secrets.token_urlsafe(32), created_by=actor,
    )  # fmt: skip
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_update(*, actor: User, webhook_id: object, data: dict[str, Any]) -> Webhook:
    """Change the URL or events; enabling again clears the failure count."""
    webhook = get_scoped(Webhook, actor, webhook_id, write=True)
    if data.get("url") is not None:
        webhook.url = webhook_url_check(data["url"])
    if data.get("event_types") is not None:
        webhook.event_types = _event_types(data["event_types"])
    if data.get("enabled") is not None:
        if data["enabled"] and not webhook.enabled:
            webhook.consecutive_failures, webhook.disabled_reason = 0, ""
        webhook.enabled = bool(data["enabled"])
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_delete(*, actor: User, webhook_id: object) -> None:
    webhook = get_scoped(Webhook, actor, webhook_id, write=True)
    Delivery.objects.filter(webhook_delivery__webhook=webhook).delete()
    webhook.delete()


@transaction.atomic
def webhook_replay(*, actor: User, delivery_id: object) -> WebhookDelivery:
    """Send one logged delivery again: same body and idempotency key (a receiver that took it
    before drops it), retried for another 24 hours if it fails."""
    wd = get_scoped(WebhookDelivery, actor, delivery_id, write=True)
    if not wd.webhook.enabled:
        raise DomainError("webhook", _("Enable the webhook before replaying its deliveries."))
    now = clock.now()
    Delivery.objects.filter(pk=wd.delivery_id).update(
        status=Delivery.Status.PENDING, not_before=now, attempts=0, claimed_until=None,
        last_error="",
    )  # fmt: skip
    wd.retry_from = now
    wd.save(update_fields=["retry_from"])
    return wd
