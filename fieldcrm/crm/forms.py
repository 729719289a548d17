"""The workspace's forms: they parse and check what a page sends (every choice limited to the
caller's scope, every number and date in range) and name the field when they refuse. The
rules themselves stay in the services the views call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from fieldcrm.accounts.models import Account, ActivityKind, CustomFieldKind, Tag
from fieldcrm.bulk.fields import MAX_ACCOUNTS
from fieldcrm.crm import selectors
from fieldcrm.crm.area import MAX_AREA_TEXT, parse_area
from fieldcrm.crm.models import ACCOUNT_COLUMNS, CUSTOM_PARAM_PREFIX
from fieldcrm.tasks.models import Task
from fieldcrm.users.models import User

BLANK = [("", "—")]


def column_labels() -> dict[str, Any]:
    """Each column's heading (custom fields by their label)."""
    labels: dict[str, Any] = {
        "status": _("Status"), "tier": _("Tier"), "owner": _("Owner"),
        "territory": _("Territory"), "region": _("Region"), "last_visit": _("Last visit"),
        "due": _("Visit due"), "tags": _("Tags"), "phone": _("Phone"), "email": _("Email"),
        "address": _("Address"), "priority": _("Priority"),
    }  # fmt: skip
    assert set(labels) == set(ACCOUNT_COLUMNS)
    labels.update({k: d.label for k, d in selectors.custom_field_columns().items()})
    return labels


class AccountFilterForm(forms.Form):
    """The accounts table's filters, sort and page (GET). An invalid field is shown on the
    form and left out, never widened to something the caller did not ask for."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.MultipleChoiceField(
        label=_("Status"), choices=Account.Status.choices, required=False
    )
    tier = forms.MultipleChoiceField(label=_("Tier"), choices=Account.Tier.choices, required=False)
    tags = forms.MultipleChoiceField(label=_("Tags"), required=False)
    tags_mode = forms.ChoiceField(
        label=_("Tags match"),
        choices=[("any", _("any of them")), ("all", _("all of them"))],
        required=False,
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    territory = forms.TypedChoiceField(
        label=_("Territory"), coerce=int, required=False, empty_value=None
    )
    region = forms.TypedChoiceField(label=_("Region"), coerce=int, required=False, empty_value=None)
    due = forms.ChoiceField(
        label=_("Due for a visit"),
        choices=[("", _("either")), ("yes", _("due")), ("no", _("not due"))],
        required=False,
    )
    review = forms.ChoiceField(
        label=_("Location from the address"),
        choices=[("", _("any")), ("yes", _("to check (town only or not found)")),
                 ("no", _("nothing to check"))],
        required=False,
    )  # fmt: skip
    visited_from = forms.DateField(
        label=_("Last visit on or after"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    visited_before = forms.DateField(
        label=_("Last visit before"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[
            ("name", _("Name")),
            ("last_visit", _("Last visit")),
            ("due", _("Visit due")),
            ("status", _("Status")),
            ("owner", _("Owner")),
        ],  # fmt: skip
        required=False,
    )
    order = forms.ChoiceField(
        label=_("Order"),
        choices=[("asc", _("ascending")), ("desc", _("descending"))],
        required=False,
    )
    deal_stage = forms.TypedChoiceField(
        label=_("Open deal in stage"), coerce=int, required=False, empty_value=None
    )
    after = forms.CharField(max_length=600, required=False, widget=forms.HiddenInput)
    # Inside a drawn area (fieldcrm.crm.area: an encoded polyline ring); the list's map fills
    # it, and it may be pasted. Its length is checked by parse_area, with its own message.
    area = forms.CharField(
        label=_("Inside the area"), required=False, strip=True,
        widget=forms.TextInput(attrs={"maxlength": MAX_AREA_TEXT, "spellcheck": "false",
                                      "autocomplete": "off", "dir": "ltr"}),
    )  # fmt: skip

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = selectors.filter_choices(actor=actor)
        self.fields["deal_stage"].choices = BLANK + [  # type: ignore[attr-defined]
            (s.pk, f"{s.pipeline.name}: {s.name}") for s in choices["stages"]
        ]
        # name -> (custom field key, test): the filters each active custom field offers.
        self.custom_tests: dict[str, tuple[str, str]] = {}
        for definition in selectors.custom_field_columns(active=True).values():
            for name, test, form_field in custom_filter_fields(definition):
                self.fields[name] = form_field
                self.custom_tests[name] = (definition.key, test)
        self.fields["tags"].choices = [(t, t) for t in choices["tags"]]  # type: ignore[attr-defined]
        self.fields["owner"].choices = BLANK + [  # type: ignore[attr-defined]
            (u.pk, u.display_name) for u in choices["owners"]
        ]
        self.fields["territory"].choices = BLANK + [  # type: ignore[attr-defined]
            (t.pk, f"{t.name} ({t.region.name})") for t in choices["territories"]
        ]
        self.fields["region"].choices = BLANK + [  # type: ignore[attr-defined]
            (r.pk, r.name) for r in choices["regions"]
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, before = data.get("visited_from"), data.get("visited_before")
        if start and before and start >= before:
            self.add_error("visited_before", _("Choose a day after “on or after”."))
        return data

    def clean_area(self) -> Any:
        text = self.cleaned_data.get("area") or ""
        return parse_area(text) if text else None

    def filters(self) -> selectors.AccountTableFilters:
        """The valid fields as the selector's filters (call after is_valid())."""
        data = self.cleaned_data
        due = {"yes": True, "no": False}.get(data.get("due") or "")
        return selectors.AccountTableFilters(
            q=data.get("q") or None,
            status=data.get("status") or [],
            tier=data.get("tier") or [],
            tags=data.get("tags") or [],
            tags_all=data.get("tags_mode") == "all",
            owner=data.get("owner"),
            territory=data.get("territory"),
            region=data.get("region"),
            due=due,
            needs_review={"yes": True, "no": False}.get(data.get("review") or ""),
            visited_before=data.get("visited_before"),
            visited_from=data.get("visited_from"),
            deal_stage=data.get("deal_stage"),
            area=data.get("area"),
            custom=[
                (key, test, _custom_value(test, data[name]))
                for name, (key, test) in self.custom_tests.items()
                if data.get(name) not in (None, "", [])
            ],
        )

    def custom_fields(self) -> list[forms.BoundField]:
        """The custom fields' filters, in the order the fields are defined."""
        return [self[name] for name in self.custom_tests]


def custom_filter_fields(definition: Any) -> list[tuple[str, str, forms.Field]]:
    """The filters one custom field offers, by its kind: (parameter, test, form field)."""
    name, label, kind = f"{CUSTOM_PARAM_PREFIX}{definition.key}", definition.label, definition.kind
    if kind == CustomFieldKind.NUMBER:
        return [
            (f"{name}__min", "min", forms.FloatField(
                label=_("%(field)s at least") % {"field": label}, required=False)),
            (f"{name}__max", "max", forms.FloatField(
                label=_("%(field)s at most") % {"field": label}, required=False)),
        ]  # fmt: skip
    if kind == CustomFieldKind.DATE:
        return [
            (f"{name}__from", "from", forms.DateField(
                label=_("%(field)s on or after") % {"field": label}, required=False,
                widget=forms.DateInput(attrs={"type": "date"}))),
            (f"{name}__to", "to", forms.DateField(
                label=_("%(field)s on or before") % {"field": label}, required=False,
                widget=forms.DateInput(attrs={"type": "date"}))),
        ]  # fmt: skip
    if kind == CustomFieldKind.BOOLEAN:
        yes_no = [("", _("either")), ("yes", _("yes")), ("no", _("no"))]
        return [(name, "is", forms.ChoiceField(label=label, choices=yes_no, required=False))]
    if kind == CustomFieldKind.CHOICE:
        offered = [(str(c), str(c)) for c in definition.choices or []]
        return [(name, "in", forms.MultipleChoiceField(label=label, choices=offered,
                                                       required=False))]  # fmt: skip
    return [(name, "contains", forms.CharField(label=label, max_length=100, required=False))]


def _custom_value(test: str, value: Any) -> Any:
    """A cleaned filter value as the JSON comparison wants it."""
    if test == "is":
        return value == "yes"
    if test in ("from", "to"):
        return value.isoformat()
    return value


class ColumnsForm(forms.Form):
    columns = forms.MultipleChoiceField(
        label=_("Columns"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "columns_%s")
        super().__init__(*args, **kwargs)
        offered = set(ACCOUNT_COLUMNS) | set(selectors.custom_field_columns(active=True))
        self.fields["columns"].choices = [  # type: ignore[attr-defined]
            (key, label) for key, label in column_labels().items() if key in offered
        ]


LOG_KINDS = [
    (ActivityKind.CALL, _("Call")),
    (ActivityKind.NOTE, _("Note")),
    (ActivityKind.EMAIL, _("Email")),
    (ActivityKind.MEETING, _("Meeting")),
]


class LogForm(forms.Form):
    """A quick action on an account's page: log a call, a note, an e-mail or a meeting."""

    kind = forms.ChoiceField(label=_("Kind"), choices=LOG_KINDS)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Details"), max_length=20_000, required=False, widget=forms.Textarea
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Two forms share the page: their fields' ids must not clash (labels point at them).
        kwargs.setdefault("auto_id", "log_%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("subject") or "").strip() and not (data.get("body") or "").strip():
            self.add_error("subject", _("Write a subject or some details."))
        return data


class TaskForm(forms.Form):
    """A task on a record (the account, one of its contacts or deals), for someone."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Task.Kind.choices, initial=Task.Kind.CALL)
    due_at = forms.DateTimeField(
        label=_("Due"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )  # fmt: skip
    assignee = forms.TypedChoiceField(label=_("For"), coerce=int)
    about = forms.ChoiceField(label=_("About"), required=False)
    # A meeting's end, place and attendees (the service refuses them on other kinds).
    ends_at = forms.DateTimeField(
        label=_("Meeting ends"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )  # fmt: skip
    location = forms.CharField(label=_("Meeting place"), max_length=300, required=False)
    attendees = forms.TypedMultipleChoiceField(
        label=_("Meeting attendees"), coerce=int, required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )  # fmt: skip
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea
    )

    def __init__(
        self, *args: Any, actor: User, contacts: list[Any], deals: list[Any], **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "task_%s")
        super().__init__(*args, **kwargs)
        people = selectors.assignable_users(actor=actor)
        self.fields["assignee"].choices = [(u.pk, u.display_name) for u in people]  # type: ignore[attr-defined]
        self.fields["attendees"].choices = [(u.pk, u.display_name) for u in people]  # type: ignore[attr-defined]
        self.fields["assignee"].initial = actor.pk
        about: list[tuple[str, Any]] = [("", _("the account"))]
        about += [(f"contact:{c.pk}", _("contact %(name)s") % {"name": c.name}) for c in contacts]
        about += [(f"deal:{d.pk}", _("deal %(name)s") % {"name": d.name}) for d in deals]
        self.fields["about"].choices = about  # type: ignore[attr-defined]

    def task_data(self, account_id: object) -> dict[str, Any]:
        """The valid form as tasks.services.task_create's data."""
        data = self.cleaned_data
        record: dict[str, Any] = {"account_id": account_id}
        kind, _sep, pk = (data.get("about") or "").partition(":")
        if kind == "contact":
            record["contact_id"] = pk
        elif kind == "deal":
            record["deal_id"] = int(pk)
        return {
            "title": data["title"], "kind": data["kind"], "notes": data.get("notes") or "",
            "due_at": data.get("due_at"), "assignee_id": data["assignee"], **record,
            "ends_at": data.get("ends_at"), "location": data.get("location") or "",
            "attendee_ids": data.get("attendees") or [],
        }  # fmt: skip


class SnoozeForm(forms.Form):
    until = forms.DateTimeField(
        label=_("Snooze until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", False)  # one form per task on the tasks page
        super().__init__(*args, **kwargs)


class ReassignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("For"), coerce=int)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = selectors.assignable_users(actor=actor)
        self.fields["assignee"].choices = [(u.pk, u.display_name) for u in people]  # type: ignore[attr-defined]


class BoardFilterForm(forms.Form):
    """The deal board's filters (GET): an invalid one is shown on the form and left out."""

    pipeline = forms.TypedChoiceField(
        label=_("Pipeline"), coerce=int, required=False, empty_value=None
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    region = forms.TypedChoiceField(label=_("Region"), coerce=int, required=False, empty_value=None)
    close_month = forms.DateField(
        label=_("Close month"), required=False, input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _("Enter a month as YYYY-MM.")},
    )  # fmt: skip
    # The column shown in full ("show more"): a stage id, checked against nothing but its
    # type (an unknown one simply expands no column).
    more = forms.IntegerField(
        required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, actor: User, pipelines: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "board-%s")
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = [(p.pk, p.name) for p in pipelines]  # type: ignore[attr-defined]
        self.fields["owner"].choices = BLANK + [  # type: ignore[attr-defined]
            (u.pk, u.display_name) for u in selectors.owner_choices(actor=actor)
        ]
        self.fields["region"].choices = BLANK + [  # type: ignore[attr-defined]
            (r.pk, r.name) for r in selectors.region_choices(actor=actor)
        ]

    def valid_data(self) -> dict[str, Any]:
        """The fields that passed (call after is_valid(), whatever it answered)."""
        return getattr(self, "cleaned_data", {})

    def filters(self) -> selectors.BoardFilters:
        data = self.valid_data()
        return selectors.BoardFilters(
            owner=data.get("owner"), region=data.get("region"),
            close_month=data.get("close_month"),
        )  # fmt: skip


class DealMoveForm(forms.Form):
    """A card of the board moved to another stage, with the copy of the deal it was based on
    (its ``updated_at``, so a deal changed meanwhile is refused, not moved blindly)."""

    stage = forms.TypedChoiceField(label=_("Move to"), coerce=int)
    based_on = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    # Asked for a lost stage (the deal page offers it; the board sends there when missing).
    lost_reason = forms.TypedChoiceField(label=_("Lost reason"), coerce=int, required=False,
                                         empty_value=None)  # fmt: skip

    def __init__(
        self, *args: Any, stages: list[Any], reasons: list[Any] | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", False)  # one form per card
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(s.pk, s.name) for s in stages]  # type: ignore[attr-defined]
        self.fields["lost_reason"].choices = BLANK + [  # type: ignore[attr-defined]
            (r.pk, r.name) for r in reasons or []
        ]


class SegmentForm(forms.Form):
    """Save the list's current filters (``query``, the list's own query string) by name."""

    name = forms.CharField(label=_("Segment name"), max_length=100)
    is_shared = forms.BooleanField(label=_("Share with my team"), required=False)
    query = forms.CharField(max_length=12_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "segment_%s")
        super().__init__(*args, **kwargs)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


def bulk_change_choices(*, actor: User) -> list[tuple[Any, Any]]:
    """What a bulk change may set, grouped by field: "owner:<id>" (or "owner:" for nobody),
    "status:<code>", "tier:<code>", "tags:add:<name>" / "tags:remove:<name>" (fieldcrm.bulk's
    fields and values; one tag at a time here, several through the API)."""
    owners = selectors.owner_choices(actor=actor)
    tags = list(Tag.objects.order_by("name").values_list("name", flat=True))
    return [
        ("", "—"),
        (_("Owner"), [("owner:", _("nobody"))] + [(f"owner:{u.pk}", u.display_name)
                                                  for u in owners]),
        (_("Status"), [(f"status:{v}", label) for v, label in Account.Status.choices]),
        (_("Tier"), [(f"tier:{v}", label) for v, label in Account.Tier.choices]),
        (_("Add a tag"), [(f"tags:add:{name}", name) for name in tags]),
        (_("Remove a tag"), [(f"tags:remove:{name}", name) for name in tags]),
    ]  # fmt: skip


class BulkForm(forms.Form):
    """A bulk change asked from the accounts list: the change, and either the ticked rows or
    every account matching the list's filters (``filters``, its query string)."""

    change = forms.ChoiceField(label=_("Change"))
    all_matching = forms.BooleanField(label=_("All accounts matching the filters"),
                                      required=False)  # fmt: skip
    filters = forms.CharField(max_length=12_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["change"].choices = bulk_change_choices(actor=actor)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The ticked rows, as sent: the bulk services find each in the caller's scope and
        # refuse the request, naming the accounts, when one is not there.
        sent = self.data.getlist("ids") if isinstance(self.data, QueryDict) else []
        data["ids"] = [str(v)[:64] for v in sent][: MAX_ACCOUNTS + 1]
        if not data.get("all_matching") and not data["ids"]:
            self.add_error(None, _("Tick the accounts to change, or choose all matching."))
        return data

    def field_value(self) -> tuple[str, Any]:
        """The bulk field and its value (call after is_valid())."""
        field, _sep, raw = self.cleaned_data["change"].partition(":")
        if field == "owner":
            return field, int(raw) if raw else None
        if field == "tags":
            op, _sep, name = raw.partition(":")
            return field, {"op": op, "tags": [name]}
        return field, raw
