"""The settings page's form: the same fields as PATCH /api/v1/notifications/settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from fieldcrm.notifications.models import NotificationChannel, NotificationKind


class NotificationSettingsForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of e-mails"), choices=settings.LANGUAGES)
    quiet_start = forms.TimeField(label=_("Quiet hours from"), required=False,
                                  widget=forms.TimeInput(attrs={"type": "time"}))  # fmt: skip
    quiet_end = forms.TimeField(label=_("Quiet hours until"), required=False,
                                widget=forms.TimeInput(attrs={"type": "time"}))  # fmt: skip
    lead_minutes = forms.IntegerField(label=_("Remind me before a timed task (minutes)"),
                                      min_value=0, max_value=7 * 24 * 60)  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[f"channel_{kind}"] = forms.ChoiceField(
                label=label, choices=NotificationChannel.choices
            )

    def data_for_service(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("channel_")}
        data["channels"] = {
            k.removeprefix("channel_"): v
            for k, v in self.cleaned_data.items()
            if k.startswith("channel_")
        }
        return data
