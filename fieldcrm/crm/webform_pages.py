"""Settings: lead web forms (/crm/settings/forms): the list, a form's settings, and its embed
snippets with a live preview. Admins keep every form; managers those of their regions (issue
16: access.PAGE_ROLES["webforms"] and WebForm's scope rule), a form of another region or with
none being the same 404 as a missing one.

The snippets. Both post to the form's own page, /forms/<token> (leads/views.py), as an
ordinary form navigation, so CORS never applies (it governs script reads, not form posts or
frames) and our Content-Security-Policy is not in the way (the page is ours, with our policy;
it answers `frame-ancestors` with the form's allowed origins instead of our usual 'none'):
- an iframe of that page: the form, its errors and the thank-you text all stay on our page,
  no script on the host; the host site's own policy needs `frame-src` for us, if it has one;
- a plain HTML form, for sites that style their own inputs: the visitor lands on our page
  with the thank-you text (or what to fix); the host's policy needs `form-action` for us.
A script-driven JSON post (the API, /api/v1/leads/forms/<token>) stays for integrators; it is
the one that needs the CORS headers the allowed origins give."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.crm.settings_forms import WebFormForm
from fieldcrm.leads import selectors, services
from fieldcrm.leads.models import LEAD_FIELDS, WebForm, default_fields
from fieldcrm.users.auth import PageRequest, page_view
from fieldcrm.users.models import User

# Admins and managers (access.PAGE_ROLES["webforms"]), times in the reader's zone.
settings_page = page_view("webforms", local_time=True)

FIELD_OF = {"region_id": "region", "territory_id": "territory", "default_owner_id": "default_owner",
            "fields": "offered"}  # fmt: skip


def _refused(form: WebFormForm, exc: DomainError | ValidationError) -> None:
    pairs = [(exc.field, exc.message)] if isinstance(exc, DomainError) else (
        validation_error_fields(exc))  # fmt: skip
    for name, message in pairs:
        name = FIELD_OF.get(name, name)
        form.add_error(name if name in form.fields else None, message)


def _saved(request: PageRequest, form: WebFormForm, form_id: int | None) -> WebForm | None:
    if not form.is_valid():
        return None
    try:
        return services.web_form_save(actor=request.user, data=form.service_data(),
                                      form_id=form_id)  # fmt: skip
    except (DomainError, ValidationError) as exc:
        _refused(form, exc)
        return None


def _choices(request: PageRequest) -> dict[str, Any]:
    return selectors.web_form_choices(actor=request.user)


def _form(request: PageRequest, **kwargs: Any) -> WebFormForm:
    """The settings form; a manager must put the form in one of their regions."""
    user = request.user
    needs_region = user.role == User.Role.MANAGER and not user.is_admin
    return WebFormForm(request.POST or None, choices=_choices(request),
                       region_required=needs_region, **kwargs)  # fmt: skip


@require_http_methods(["GET", "POST"])
@settings_page
def web_forms(request: PageRequest) -> HttpResponse:
    """The forms; POST: a new one (then its page, with the snippet to copy)."""
    form = _form(request, initial={"offered": default_fields(), "is_active": True})
    if request.method == "POST":
        saved = _saved(request, form, None)
        if saved is not None:
            messages.success(request, _("Web form “%(name)s” added.") % {"name": saved.name})
            return HttpResponseRedirect(reverse("crm_settings:web_form", args=[saved.pk]))
    return render(request, "crm/settings/web_forms.html", {
        "web_forms": selectors.web_form_list(actor=request.user), "form": form,
    }, status=400 if form.is_bound else 200)  # fmt: skip


def snippets(request: PageRequest, web_form: WebForm) -> dict[str, str]:
    """The iframe and the plain HTML form a site pastes in, addressed to this server."""
    page = request.build_absolute_uri(reverse("lead_form", args=[web_form.token]))
    inputs = [(name, label) for name, label in LEAD_FIELDS if name in web_form.fields]
    context = {"page": page, "form": web_form, "inputs": inputs}
    return {
        "iframe": render_to_string("crm/settings/snippet_iframe.txt", context).strip(),
        "html": render_to_string("crm/settings/snippet_form.txt", context).strip(),
        "page": page,
    }


@require_http_methods(["GET", "POST"])
@settings_page
def web_form(request: PageRequest, form_id: int) -> HttpResponse:
    """One form's settings, its snippets and a preview; POST: save the settings."""
    found = selectors.web_form_get(actor=request.user, form_id=form_id)  # 404 first
    initial = {
        "name": found.name, "is_active": found.is_active, "offered": found.fields,
        "region": found.region_id, "territory": found.territory_id,
        "default_owner": found.default_owner_id, "tags": ", ".join(found.tags),
        "thank_you": found.thank_you, "allowed_origins": found.allowed_origins,
    }  # fmt: skip
    form = _form(request, initial=initial)
    if request.method == "POST" and _saved(request, form, form_id) is not None:
        messages.success(request, _("Web form saved."))
        return HttpResponseRedirect(reverse("crm_settings:web_form", args=[form_id]))
    return render(request, "crm/settings/web_form.html", {
        "web_form": found, "form": form, "snippets": snippets(request, found),
    }, status=400 if form.is_bound else 200)  # fmt: skip


@require_POST
@settings_page
def web_form_rotate(request: PageRequest, form_id: int) -> HttpResponse:
    """A new address for the form: every snippet published with the old one stops working."""
    selectors.web_form_get(actor=request.user, form_id=form_id)  # 404 first
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick “Yes, change it” to change the form's address."))
    else:
        services.web_form_rotate(actor=request.user, form_id=form_id)
        messages.success(request, _("The form has a new address: paste its new snippet."))
    return HttpResponseRedirect(reverse("crm_settings:web_form", args=[form_id]))


@require_POST
@settings_page
def web_form_delete(request: PageRequest, form_id: int) -> HttpResponse:
    """Delete the form: every snippet published with it stops working."""
    found = selectors.web_form_get(actor=request.user, form_id=form_id)  # 404 first
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick “Yes, delete it” to delete the form."))
        return HttpResponseRedirect(reverse("crm_settings:web_form", args=[form_id]))
    services.web_form_delete(actor=request.user, form_id=form_id)
    messages.success(request, _("Web form “%(name)s” deleted.") % {"name": found.name})
    return HttpResponseRedirect(reverse("crm_settings:web_forms"))
