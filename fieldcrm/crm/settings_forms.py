"""The settings pages' forms. A choice field's list arrives as repeated ``choices`` inputs, one
per row in the order the admin left them (dragged or moved with the buttons): no JSON to type."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fieldcrm.accounts.models import CustomFieldDefinition
from fieldcrm.deals.models import StageOutcome
from fieldcrm.leads.models import LEAD_FIELDS
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User

MAX_CHOICES = 200  # as the API's CustomFieldIn
MAX_CHOICE_CHARS = 120
BLANK_ROWS = 3  # empty rows offered without script (the script adds rows on demand)


class CustomFieldForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"), max_length=64,
        help_text=_("Letters, digits, - and _; used in imports, exports and the API. It cannot "
                    "change later."),
    )  # fmt: skip
    label = forms.CharField(label=_("Label"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomFieldDefinition.Kind.choices)
    is_required = forms.BooleanField(label=_("Required"), required=False)
    min_value = forms.FloatField(label=_("Minimum"), required=False)
    max_value = forms.FloatField(label=_("Maximum"), required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "cf_%s")
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            del self.fields["key"]
        self.choice_errors: list[str] = []

    def _sent_choices(self) -> list[str]:
        data: Any = self.data  # a QueryDict when bound (the rows repeat one name)
        return list(data.getlist("choices"))

    def choice_rows(self) -> list[str]:
        """The rows to draw: what was sent (or the field's list), then a few empty ones."""
        if self.is_bound:
            rows = self._sent_choices()
        else:
            rows = [str(c) for c in self.initial.get("choices", [])]
        return [*rows, *[""] * BLANK_ROWS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choices = [c.strip() for c in self._sent_choices() if c.strip()]
        if len(choices) > MAX_CHOICES:
            self.add_error(None, _("At most %(n)s choices.") % {"n": MAX_CHOICES})
        if any(len(c) > MAX_CHOICE_CHARS for c in choices):
            self.add_error(None, _("A choice has at most %(n)s characters.")
                           % {"n": MAX_CHOICE_CHARS})  # fmt: skip
        data["choices"] = choices if data.get("kind") == CustomFieldDefinition.Kind.CHOICE else []
        if data.get("kind") != CustomFieldDefinition.Kind.NUMBER:
            data["min_value"] = data["max_value"] = None  # the inputs of another kind, ignored
        return data


class LostReasonForm(forms.Form):
    name = forms.CharField(label=_("Lost reason"), max_length=120)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "reason_%s")
        super().__init__(*args, **kwargs)


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Pipeline name"), max_length=120)
    is_default = forms.BooleanField(
        label=_("The default pipeline (new deals go to it)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "pipeline_%s")
        super().__init__(*args, **kwargs)


class StageForm(forms.Form):
    name = forms.CharField(label=_("Stage name"), max_length=120)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=StageOutcome.choices)
    probability = forms.IntegerField(label=_("Win probability %"), min_value=0, max_value=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "stage_%s")
        super().__init__(*args, **kwargs)


class WebFormForm(forms.Form):
    name = forms.CharField(label=_("Form name"), max_length=100,
                           help_text=_("Shown on the form and in its leads' source."))  # fmt: skip
    is_active = forms.BooleanField(label=_("Active (accepts leads)"), required=False)
    # Not "fields": that is the form's own dict of fields.
    offered = forms.MultipleChoiceField(
        label=_("Fields offered"), choices=LEAD_FIELDS, widget=forms.CheckboxSelectMultiple,
        help_text=_("A lead needs a name or a company: offer at least one of them."),
    )  # fmt: skip
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False,
        help_text=_("Its managers see this form."),
    )  # fmt: skip
    territory = forms.ModelChoiceField(
        label=_("Territory"), queryset=Territory.objects.none(), required=False,
        help_text=_("Where a lead goes when its address cannot be located."),
    )  # fmt: skip
    default_owner = forms.ModelChoiceField(
        label=_("Owner of its leads"), queryset=User.objects.none(), required=False
    )
    tags = forms.CharField(label=_("Tags its leads get"), required=False, max_length=700,
                           help_text=_("Separated by commas."))  # fmt: skip
    thank_you = forms.CharField(
        label=_("Thank-you text"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=_("Shown after a visitor sends the form; empty: a standard sentence."),
    )  # fmt: skip
    allowed_origins = forms.CharField(
        label=_("Allowed origins"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
        help_text=_("One per line, like https://shop.example.com: only these sites may show "
                    "the form or send to it. Empty: any site."),
    )  # fmt: skip

    def __init__(
        self, *args: Any, choices: dict[str, Any], region_required: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "webform_%s")
        super().__init__(*args, **kwargs)
        for name, key in (("region", "regions"), ("territory", "territories"),
                          ("default_owner", "owners")):  # fmt: skip
            field: Any = self.fields[name]
            field.queryset = choices[key]
        # A manager's form is in one of their regions (no empty choice); an admin's may be in none.
        region: Any = self.fields["region"]
        region.required = region_required
        if region_required:
            region.empty_label = None

    def service_data(self) -> dict[str, Any]:
        """The cleaned values as web_form_save takes them."""
        data = self.cleaned_data
        return {
            "name": data["name"], "is_active": data["is_active"], "fields": data["offered"],
            "region_id": data["region"].pk if data["region"] else None,
            "territory_id": data["territory"].pk if data["territory"] else None,
            "default_owner_id": data["default_owner"].pk if data["default_owner"] else None,
            "tags": [t for t in data["tags"].split(",") if t.strip()],
            "thank_you": data["thank_you"], "allowed_origins": data["allowed_origins"],
        }  # fmt: skip
