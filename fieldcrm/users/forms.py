"""The login forms of /login/ and /admin/login/, through the one login throttle."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from fieldcrm.users import throttle
from fieldcrm.users.services import locked_message


class ThrottledLoginMixin(forms.Form):
    """Says "locked" (not "wrong password") when the account or the address is locked."""

    request: Any

    def _locked(self) -> bool:
        username = str(self.cleaned_data.get("username") or "")
        return throttle.is_locked(username=username, ip=throttle.client_ip(self.request))

    def clean(self) -> dict[str, Any]:
        if self._locked():
            raise forms.ValidationError(locked_message(), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            # The backend found the lock (another process counted the last failure meanwhile).
            if throttle.was_refused(self.request):
                raise forms.ValidationError(locked_message(), code="locked") from None
            raise
        return self.cleaned_data if cleaned is None else cleaned

    @property
    def is_locked_out(self) -> bool:
        return any(e.code == "locked" for e in self.non_field_errors().as_data())


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
