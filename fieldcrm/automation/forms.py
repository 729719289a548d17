"""The settings pages' forms: a rule with one condition and one action (the API takes any
number of each), a webhook (URL and events)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fieldcrm.automation.engine import OPERATORS
from fieldcrm.automation.models import EventType, Webhook
from fieldcrm.tasks.models import Task

OPERATOR_LABELS = {
    "eq": _("is"), "ne": _("is not"), "contains": _("contains"), "gt": _("is more than"),
    "lt": _("is less than"), "changed": _("changed"), "becomes": _("becomes"),
    "empty": _("is empty"), "not_empty": _("is not empty"),
}  # fmt: skip
ACTION_LABELS = (
    ("create_task", _("Create a task for the owner")),
    ("notify", _("Notify the owner")),
    ("add_tag", _("Add a tag to the account")),
    ("call_webhook", _("Call a webhook")),
)


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    trigger = forms.ChoiceField(label=_("When"), choices=EventType.choices)
    field = forms.CharField(label=_("If the field"), max_length=60, required=False,
                            help_text=_("e.g. stage, status, outcome, amount"))  # fmt: skip
    op = forms.ChoiceField(
        label=_("Condition"), choices=[(o, OPERATOR_LABELS[o]) for o in OPERATORS]
    )
    value = forms.CharField(label=_("Value"), max_length=200, required=False)
    action = forms.ChoiceField(label=_("Then"), choices=ACTION_LABELS)
    text = forms.CharField(label=_("Task title, message or tag"), max_length=200, required=False,
                           help_text=_("{name} is replaced by the record's name"))  # fmt: skip
    due_in_days = forms.IntegerField(label=_("Due in (days)"), min_value=0, max_value=365,
                                     initial=2, required=False)  # fmt: skip
    webhook = forms.ModelChoiceField(label=_("Webhook"), queryset=Webhook.objects.none(),
                                     required=False)  # fmt: skip

    def __init__(self, *args: Any, webhooks: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "rule_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["webhook"]
        if webhooks is not None and isinstance(field, forms.ModelChoiceField):
            field.queryset = webhooks

    def rule_data(self) -> dict[str, Any]:
        """The service's shape (it checks the rest and names the field it refuses)."""
        data = self.cleaned_data
        conditions = []
        if data.get("field"):
            conditions.append({"field": data["field"], "op": data["op"], "value": data["value"]})
        action: dict[str, Any] = {"type": data["action"]}
        text = data.get("text") or ""
        if data["action"] == "create_task":
            action.update(title=text, due_in_days=data.get("due_in_days") or 0,
                          kind=Task.Kind.CALL, assignee="owner")  # fmt: skip
        elif data["action"] == "notify":
            action.update(message=text, to=["owner"])
        elif data["action"] == "add_tag":
            action.update(tag=text)
        else:
            action.update(webhook_id=data["webhook"].pk if data.get("webhook") else None)
        return {"name": data["name"], "trigger": data["trigger"], "conditions": conditions,
                "actions": [action]}  # fmt: skip


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500,
                          widget=forms.URLInput(attrs={"placeholder": "https://"}))  # fmt: skip
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "webhook_%s")
        super().__init__(*args, **kwargs)
