"""Ready rules (the issue's examples): an admin makes a rule from one and
may change it afterwards. Names and texts are translated when the rule is made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from fieldcrm.automation.models import EventType


@dataclass(frozen=True)
class Preset:
    key: str
    name: Any
    description: Any
    trigger: str
    conditions: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    trigger_params: dict[str, Any] = field(default_factory=dict)


PRESETS: tuple[Preset, ...] = (
    Preset(
        "offer_follow_up",
        _("Commercial offer sent → call in 2 days"),
        _("When a deal enters the Proposal stage, its owner gets a call task due 2 days later."),
        EventType.DEAL_STAGE_ENTERED,
        [{"field": "stage", "op": "eq", "value": "Proposal"}],
        [{"type": "create_task", "title": _("Call about the offer: {name}"), "due_in_days": 2,
          "kind": "call", "assignee": "owner"}],
    ),
    Preset(
        "web_lead_to_rep",
        _("New web lead → the territory's rep, notified"),
        _("A lead from a web form is given to the reps of its territory in turn, who are told."),
        EventType.LEAD_RECEIVED,
        [],
        [{"type": "assign_owner", "to": "territory_rep"},
         {"type": "notify", "to": ["owner"], "message": _("New web lead: {name}")}],
    ),
    Preset(
        "order_thank_you",
        _("Visit with an order → thank-you call in 7 days"),
        _("When a visit is logged with an order taken, the rep gets a call a week later."),
        EventType.VISIT_LOGGED,
        [{"field": "outcome", "op": "eq", "value": "order"}],
        [{"type": "create_task", "title": _("Follow up on the order: {account}"), "due_in_days": 7,
          "kind": "call", "assignee": "owner"}],
    ),
    Preset(
        "not_visited_30_days",
        _("Customer not visited for 30 days → task for the owner"),
        _("When a customer's last visit is 30 days old, its owner gets a visit task for the "
          "next day (once per last visit: a new visit starts the count again)."),
        EventType.ACCOUNT_PAST_CADENCE,
        [{"field": "status", "op": "eq", "value": "customer"}],
        [{"type": "create_task", "title": _("Visit: {name} (not visited for 30 days)"),
          "due_in_days": 1, "kind": "visit", "assignee": "owner"}],
        {"days": 30, "since": "last_visit"},
    ),
)  # fmt: skip
PRESETS_BY_KEY = {p.key: p for p in PRESETS}
