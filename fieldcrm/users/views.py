"""The website's front door: log in, then land where your role works."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fieldcrm.users.forms import LoginForm
from fieldcrm.users.models import User
from fieldcrm.users.selectors import landing_url


class RoleLoginView(LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if isinstance(form, LoginForm) and form.is_locked_out:
            response.status_code = 429
        return response

    def get_default_redirect_url(self) -> str:
        return landing_url(cast(User, self.request.user))


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(landing_url(request.user))
    return render(request, "home.html")
