"""The settings pages' forms: a rule as rows (when: a trigger and its parameters; if: up to
three conditions; then: up to three actions; the API takes any number), a webhook (URL and
events). Plain fields, no script: every row shows every field its actions may use."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fieldcrm.accounts.models import Account
from fieldcrm.automation.engine import OPERATORS, SEGMENT_OPS
from fieldcrm.automation.models import TIME_TRIGGERS, EventType, Rule, Webhook
from fieldcrm.automation.services import action_check, condition_check
from fieldcrm.core.errors import DomainError
from fieldcrm.tasks.models import Task

OPERATOR_LABELS = {
    "eq": _("is"), "ne": _("is not"), "contains": _("contains"), "gt": _("is more than"),
    "lt": _("is less than"), "changed": _("changed"), "becomes": _("becomes"),
    "empty": _("is empty"), "not_empty": _("is not empty"),
    "in_segment": _("the account is in the segment"),
    "not_in_segment": _("the account is not in the segment"),
}  # fmt: skip
ACTION_LABELS = (
    ("", "—"),
    ("create_task", _("Create a task")),
    ("assign_owner", _("Assign an owner")),
    ("notify", _("Notify")),
    ("add_tag", _("Add a tag to the account")),
    ("set_status", _("Change the account's status")),
    ("call_webhook", _("Call a webhook")),
    ("send_email", _("E-mail the account's contact")),
)
SINCE_LABELS = (
    ("visit_due", _("past the visit due (its cadence)")),
    ("last_visit", _("since the last visit")),
)
# Rows the page offers (blank rows are left out); the API takes any number.
CONDITION_ROWS = 3
ACTION_ROWS = 3


def _who_choices(users: Any) -> list[tuple[str, Any]]:
    """Who a task is for, who becomes the owner, who is told (the service checks which of
    these each action accepts)."""
    choices: list[tuple[str, Any]] = [
        ("owner", _("the record's owner")), ("actor", _("the person who made the change")),
        ("territory_rep", _("the territory's reps in turn")),
        ("role:rep", _("every rep")), ("role:manager", _("every manager")),
        ("role:admin", _("every admin")),
    ]  # fmt: skip
    choices += [(f"user:{u.pk}", u.display_name) for u in users]
    return choices


class RuleForm(forms.Form):
    """When (a trigger and its parameters) / if (condition rows) / then (action rows)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    trigger = forms.ChoiceField(label=_("When"), choices=EventType.choices)
    days = forms.IntegerField(label=_("Days"), min_value=0, max_value=365, required=False,
                              help_text=_("overdue by, or past the cadence by"))  # fmt: skip
    since = forms.ChoiceField(label=_("Counted"), choices=SINCE_LABELS, required=False)
    date_field = forms.ChoiceField(label=_("Date field"), required=False, choices=[])
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(
        self, *args: Any, webhooks: Any = None, users: Any = (), date_fields: Any = (),
        segments: Any = (), actor: Any = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        kwargs.setdefault("auto_id", "rule_%s")
        super().__init__(*args, **kwargs)
        self.actor = actor
        segment_choices = [("", "—"), *((str(s.pk), s.name) for s in segments)]
        date_field = self.fields["date_field"]
        assert isinstance(date_field, forms.ChoiceField)
        date_field.choices = [("", "—"), *((f.key, f.label) for f in date_fields)]
        who = _who_choices(users)
        for i in range(CONDITION_ROWS):
            self.fields[f"c{i}_field"] = forms.CharField(
                label=_("If the field"), max_length=60, required=False,
                help_text=_("e.g. stage, status, outcome, amount") if i == 0 else "",
            )  # fmt: skip
            self.fields[f"c{i}_op"] = forms.ChoiceField(
                label=_("Condition"), choices=[(o, OPERATOR_LABELS[o]) for o in OPERATORS],
                required=False,
            )  # fmt: skip
            self.fields[f"c{i}_value"] = forms.CharField(label=_("Value"), max_length=200,
                                                         required=False)  # fmt: skip
            # A plain choice, not a ModelChoiceField: the service decides which segments the
            # rule's owner may apply, and its refusal shows at this field.
            self.fields[f"c{i}_segment"] = forms.ChoiceField(
                label=_("Segment"), choices=segment_choices, required=False
            )
        for i in range(ACTION_ROWS):
            self.fields[f"a{i}_type"] = forms.ChoiceField(label=_("Then"), choices=ACTION_LABELS,
                                                          required=False)  # fmt: skip
            self.fields[f"a{i}_subject"] = forms.CharField(
                label=_("E-mail subject"), max_length=200, required=False
            )
            self.fields[f"a{i}_text"] = forms.CharField(
                label=_("Task title, message, tag or e-mail text"), max_length=2000,
                required=False,
                help_text=_("{name} is replaced by the record's name") if i == 0 else "",
            )  # fmt: skip
            self.fields[f"a{i}_due"] = forms.IntegerField(
                label=_("Due in (days)"), min_value=0, max_value=365, required=False
            )
            self.fields[f"a{i}_who"] = forms.ChoiceField(label=_("Who"), choices=who,
                                                         required=False)  # fmt: skip
            self.fields[f"a{i}_status"] = forms.ChoiceField(
                label=_("Status"), choices=[("", "—"), *Account.Status.choices], required=False
            )
            self.fields[f"a{i}_webhook"] = forms.ModelChoiceField(
                label=_("Webhook"), queryset=webhooks if webhooks is not None
                else Webhook.objects.none(), required=False,
            )  # fmt: skip

    def condition_rows(self) -> list[list[Any]]:
        return [[self[f"c{i}_{n}"] for n in ("field", "op", "value", "segment")]
                for i in range(CONDITION_ROWS)]  # fmt: skip

    def action_rows(self) -> list[list[Any]]:
        names = ("type", "subject", "text", "due", "who", "status", "webhook")
        return [[self[f"a{i}_{n}"] for n in names] for i in range(ACTION_ROWS)]

    @classmethod
    def initial_for(cls, rule: Rule) -> dict[str, Any]:
        """The form's values for an existing rule (rows beyond the page's are not shown)."""
        params = rule.trigger_params or {}
        initial: dict[str, Any] = {
            "name": rule.name, "trigger": rule.trigger, "enabled": rule.enabled,
            "days": params.get("days"), "since": params.get("since") or "visit_due",
            "date_field": params.get("field") or "",
        }  # fmt: skip
        for i, c in enumerate(rule.conditions[:CONDITION_ROWS]):
            value = c.get("value")
            if c.get("op") in SEGMENT_OPS:
                initial.update({f"c{i}_op": c["op"], f"c{i}_segment": str(value)})
                continue
            initial.update({f"c{i}_field": c.get("field"), f"c{i}_op": c.get("op"),
                            f"c{i}_value": "" if value is None else value})  # fmt: skip
        for i, a in enumerate(rule.actions[:ACTION_ROWS]):
            who = a.get("assignee") if a["type"] == "create_task" else a.get("to")
            if isinstance(who, list):
                who = who[0] if who else None
            if isinstance(who, int):
                who = f"user:{who}"
            initial.update({
                f"a{i}_type": a["type"], f"a{i}_due": a.get("due_in_days"),
                f"a{i}_text": a.get("title") or a.get("message") or a.get("tag")
                or a.get("body") or "",
                f"a{i}_subject": a.get("subject") or "",
                f"a{i}_who": who or "owner", f"a{i}_status": a.get("status") or "",
                f"a{i}_webhook": a.get("webhook_id"),
            })  # fmt: skip
        return initial

    def _action(self, i: int) -> dict[str, Any] | None:
        data = self.cleaned_data
        kind = data.get(f"a{i}_type")
        if not kind:
            return None
        text = data.get(f"a{i}_text") or ""
        raw_who = data.get(f"a{i}_who") or "owner"
        who: Any = int(raw_who.removeprefix("user:")) if raw_who.startswith("user:") else raw_who
        action: dict[str, Any] = {"type": kind}
        if kind == "create_task":
            action.update(title=text, due_in_days=data.get(f"a{i}_due") or 0,
                          kind=Task.Kind.CALL, assignee=who)  # fmt: skip
        elif kind == "assign_owner":
            action.update(to=who)
        elif kind == "notify":
            action.update(message=text, to=[who])
        elif kind == "add_tag":
            action.update(tag=text)
        elif kind == "set_status":
            action.update(status=data.get(f"a{i}_status"))
        elif kind == "send_email":
            action.update(subject=data.get(f"a{i}_subject") or "", body=text)
        else:
            webhook = data.get(f"a{i}_webhook")
            action.update(webhook_id=webhook.pk if webhook else None)
        return action

    def clean(self) -> dict[str, Any]:
        """Each action row checked by the service's own rule (it decides), the refusal shown
        at that row's field."""
        data = super().clean() or {}
        if self.errors:
            return data
        for i, condition in self._conditions():
            try:
                condition_check(condition, actor=self.actor)
            except DomainError as exc:
                where = "c{}_segment" if condition["op"] in SEGMENT_OPS else "c{}_field"
                self.add_error(where.format(i), exc.message)
        rows = [(i, self._action(i)) for i in range(ACTION_ROWS)]
        if not any(a for _i, a in rows):
            self.add_error("a0_type", _("A rule needs at least one action."))
        for i, action in rows:
            if action is None:
                continue
            try:
                action_check(action)
            except DomainError as exc:
                where = {"create_task": "a{}_text", "notify": "a{}_text", "add_tag": "a{}_text",
                         "set_status": "a{}_status", "call_webhook": "a{}_webhook",
                         "assign_owner": "a{}_who",
                         "send_email": "a{}_text" if action.get("subject") else "a{}_subject",
                         }[action["type"]]  # fmt: skip
                self.add_error(where.format(i), exc.message)
        return data

    def _conditions(self) -> list[tuple[int, dict[str, Any]]]:
        """The filled rows: a field and a test, or "the account is (not) in a segment"."""
        data, rows = self.cleaned_data, []
        for i in range(CONDITION_ROWS):
            op = data.get(f"c{i}_op") or "eq"
            if op in SEGMENT_OPS:
                rows.append((i, {"field": "account", "op": op,
                                 "value": data.get(f"c{i}_segment")}))  # fmt: skip
            elif data.get(f"c{i}_field"):
                rows.append((i, {"field": data[f"c{i}_field"], "op": op,
                                 "value": data.get(f"c{i}_value")}))  # fmt: skip
        return rows

    def rule_data(self) -> dict[str, Any]:
        """The service's shape (it checks the rest and names the field it refuses)."""
        data = self.cleaned_data
        conditions = [c for _i, c in self._conditions()]
        params: dict[str, Any] = {}
        if data["trigger"] == EventType.ACCOUNT_ANNIVERSARY:
            params = {"field": data.get("date_field") or ""}
        elif data["trigger"] in TIME_TRIGGERS:
            params = {"days": data.get("days") or 0}
            if data["trigger"] == EventType.ACCOUNT_PAST_CADENCE:
                params["since"] = data.get("since") or "visit_due"
        actions = [a for a in (self._action(i) for i in range(ACTION_ROWS)) if a]
        return {"name": data["name"], "trigger": data["trigger"], "trigger_params": params,
                "conditions": conditions, "actions": actions,
                "enabled": bool(data.get("enabled"))}  # fmt: skip


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500,
                          widget=forms.URLInput(attrs={"placeholder": "https://"}))  # fmt: skip
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "webhook_%s")
        super().__init__(*args, **kwargs)
