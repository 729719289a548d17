"""The integration settings pages' forms: plain fields (no JSON typing)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fieldcrm.integrations.models import IntegrationKind
from fieldcrm.users.models import User


class _Owner(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class IntegrationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=IntegrationKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    reply_url = forms.CharField(
        label=_("Outbound reply URL (messengers)"), max_length=500, required=False,
        widget=forms.URLInput(attrs={"dir": "ltr"}),
    )  # fmt: skip
    default_owner = _Owner(label=_("Owner of new leads"), queryset=User.objects.none(),
                           required=False)  # fmt: skip

    def __init__(self, *args: object, owners: object = None, editing: bool = False,
                 **kwargs: object) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["default_owner"].queryset = owners  # type: ignore[attr-defined]
        if editing:
            del self.fields["kind"]
            self.fields["is_active"] = forms.BooleanField(label=_("Active"), required=False)


class ExtensionForm(forms.Form):
    number = forms.CharField(label=_("Extension or number"), max_length=40,
                             widget=forms.TextInput(attrs={"dir": "ltr"}))  # fmt: skip
    user = _Owner(label=_("User"), queryset=User.objects.none())

    def __init__(self, *args: object, owners: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["user"].queryset = owners  # type: ignore[attr-defined]
