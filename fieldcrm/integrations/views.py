"""The integration pages: settings (/crm/settings/integrations, admins only), the unknown
callers (/crm/calls/unknown, managers and admins), a messenger reply from an account's page.
HTTP only: parse with a form, call a service, render; a refusal shows the page again with the
message at its field, nothing saved."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fieldcrm.access import require_page
from fieldcrm.automation.views import settings_page
from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.crm.views import crm_page
from fieldcrm.integrations import replies, selectors, services
from fieldcrm.integrations.forms import ExtensionForm, IntegrationForm
from fieldcrm.users.auth import PageRequest

RECENT_CALLS = 20


def _refused(form: Any, exc: DomainError | ValidationError) -> None:
    pairs = (
        [(exc.field, exc.message)] if isinstance(exc, DomainError)
        else validation_error_fields(exc)
    )  # fmt: skip
    for name, message in pairs:
        form.add_error(name if name in form.fields else None, message)


def _owners(request: PageRequest) -> Any:
    return selectors.owner_choices(actor=request.user)


def _list_page(request: PageRequest, form: IntegrationForm | None = None,
               status: int = 200) -> HttpResponse:  # fmt: skip
    return render(request, "integrations/list.html", {
        "integrations": selectors.integration_list(actor=request.user),
        "form": form or IntegrationForm(owners=_owners(request)),
    }, status=status)  # fmt: skip


def _detail_page(request: PageRequest, integration_id: object, *, secret: str = "",
                 form: IntegrationForm | None = None, extension_form: ExtensionForm | None = None,
                 status: int = 200) -> HttpResponse:  # fmt: skip
    integration = selectors.integration_get(actor=request.user, integration_id=integration_id)
    initial = {
        "name": integration.name,
        "reply_url": integration.reply_url,
        "default_owner": integration.default_owner,
        "is_active": integration.is_active,
    }
    path = "calls" if integration.kind == "pbx" else "messages"
    return render(request, "integrations/detail.html", {
        "integration": integration, "secret": secret,
        "post_url": request.build_absolute_uri(f"/api/v1/integrations/{integration.pk}/{path}"),
        "form": form or IntegrationForm(initial=initial, owners=_owners(request), editing=True),
        "extension_form": extension_form or ExtensionForm(owners=_owners(request)),
        "extensions": integration.extensions.select_related("user"),
        "calls": selectors.integration_recent_calls(
            actor=request.user, integration_id=integration.pk)[:RECENT_CALLS],
    }, status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@settings_page
def integrations(request: PageRequest) -> HttpResponse:
    """The PBXs and messengers; POST: a new one, whose secret the next page shows once."""
    if request.method == "GET":
        return _list_page(request)
    form = IntegrationForm(request.POST, owners=_owners(request))
    if form.is_valid():
        try:
            made = services.integration_create(actor=request.user, data=form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            _refused(form, exc)
        else:
            messages.success(
                request, _("Integration saved. Copy its secret now: it is shown once.")
            )
            return _detail_page(request, made.pk, secret=made.secret, status=201)
    return _list_page(request, form, status=400)


@require_http_methods(["GET", "POST"])
@settings_page
def integration(request: PageRequest, integration_id: int) -> HttpResponse:
    """One integration: its address, extensions, recent calls; POST: save, rotate, delete,
    add or remove an extension."""
    selectors.integration_get(actor=request.user, integration_id=integration_id)  # 404 first
    if request.method == "GET":
        return _detail_page(request, integration_id)
    what = request.POST.get("do", "save")
    back = HttpResponseRedirect(reverse("integrations:integration", args=[integration_id]))
    if what == "rotate":
        rotated = services.integration_rotate_secret(actor=request.user,
                                                     integration_id=integration_id)  # fmt: skip
        messages.success(request, _("A new secret is in force: copy it now, it is shown once."))
        return _detail_page(request, integration_id, secret=rotated.secret)
    if what == "delete":
        services.integration_delete(actor=request.user, integration_id=integration_id)
        messages.success(request, _("Integration deleted."))
        return HttpResponseRedirect(reverse("integrations:integrations"))
    if what == "remove_extension":
        services.extension_remove(actor=request.user, integration_id=integration_id,
                                  extension_id=request.POST.get("extension"))  # fmt: skip
        messages.success(request, _("Extension removed."))
        return back
    if what == "add_extension":
        ext_form = ExtensionForm(request.POST, owners=_owners(request))
        if ext_form.is_valid():
            try:
                services.extension_add(
                    actor=request.user, integration_id=integration_id,
                    number=ext_form.cleaned_data["number"],
                    user_id=ext_form.cleaned_data["user"].pk,
                )  # fmt: skip
            except (DomainError, ValidationError) as exc:
                _refused(ext_form, exc)
            else:
                messages.success(request, _("Extension added."))
                return back
        return _detail_page(request, integration_id, extension_form=ext_form, status=400)
    form = IntegrationForm(request.POST, owners=_owners(request), editing=True)
    if form.is_valid():
        try:
            services.integration_update(actor=request.user, integration_id=integration_id,
                                        data=form.cleaned_data)  # fmt: skip
        except (DomainError, ValidationError) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Integration saved."))
            return back
    return _detail_page(request, integration_id, form=form, status=400)


@require_GET
@crm_page
def unknown_callers(request: PageRequest) -> HttpResponse:
    """Calls from numbers that match no account, each offered as a new lead."""
    require_page(request.user, "mail")
    rows = selectors.unknown_callers(actor=request.user)[:200]
    return render(request, "integrations/unknown_callers.html", {"calls": rows})


@require_POST
@crm_page
def make_lead(request: PageRequest, call_id: object) -> HttpResponse:
    require_page(request.user, "mail")
    account = services.call_make_lead(actor=request.user, call_id=call_id)
    messages.success(request, _("Lead made from the call."))
    return HttpResponseRedirect(reverse("crm:account", args=[account.pk]))


@require_POST
@crm_page
def reply(request: PageRequest, account_id: object) -> HttpResponse:
    """Reply in the account's messenger conversation; a refusal is shown at the field."""
    back = reverse("crm:account", args=[account_id])
    try:
        replies.reply_send(actor=request.user, account_id=account_id,
                           text=request.POST.get("text", ""))  # fmt: skip
    except DomainError as exc:
        messages.error(request, _("Not sent: %(message)s") % {"message": exc.message})
        return HttpResponseRedirect(back + "#reply")
    messages.success(request, _("Reply queued: it is sent on the worker's next round."))
    return HttpResponseRedirect(back + "#timeline")
