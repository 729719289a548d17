"""The workspace's settings pages (/crm/settings/): the index of every settings page and the
custom fields, admins only (access.PAGE_ROLES["settings"]; a manager opens the index, which
lists the web forms alone). HTTP only: parse with a form, call
the same services the API calls, render; a refusal shows the form again, nothing saved, with
the message at its field."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fieldcrm.access import may_open
from fieldcrm.automation.views import settings_page
from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.crm import selectors
from fieldcrm.crm.settings_forms import CustomFieldForm, LostReasonForm
from fieldcrm.deals import services as deal_services
from fieldcrm.users import manage_selectors, manage_services
from fieldcrm.users.auth import PageRequest, page_view

# The settings pages, in the index's order: (URL name, title, what it is for).
SETTINGS_PAGES = (
    ("crm_settings:custom_fields", gettext_lazy("Custom fields"),
     gettext_lazy("The fields an account has beyond the built-in ones, and their choices.")),
    ("crm_settings:lost_reasons", gettext_lazy("Lost reasons"),
     gettext_lazy("The list a deal marked lost takes its reason from.")),
    ("crm_settings:pipelines", gettext_lazy("Pipelines and stages"),
     gettext_lazy("The stages a deal moves through, in the board's order.")),
    ("crm_settings:web_forms", gettext_lazy("Web forms"),
     gettext_lazy("Forms on your sites that send leads in, with the snippet to paste.")),
    ("automation:rules", gettext_lazy("Automation"),
     gettext_lazy("Rules that create tasks, notify or tag when something happens.")),
    ("automation:webhooks", gettext_lazy("Webhooks"),
     gettext_lazy("URLs that receive the events as they happen.")),
    ("documents:templates", gettext_lazy("Document templates"),
     gettext_lazy("The layout of quotes, orders and visit reports.")),
    ("integrations:integrations", gettext_lazy("Telephony and messengers"),
     gettext_lazy("A PBX's call events and a messenger's messages on the timeline.")),
)  # fmt: skip

CUSTOM_FIELD_FIELDS = ("key", "label", "kind", "is_required", "min_value", "max_value")


# The settings pages a manager keeps too (access.PAGE_ROLES["webforms"]): the rest are admins'.
PAGE_AREAS = {"crm_settings:web_forms": "webforms"}


@require_GET
@page_view("webforms")  # every area of the settings: managers (web forms) and admins
def index(request: PageRequest) -> HttpResponse:
    """Every settings page the reader may open, one line each."""
    pages = [{"url": reverse(name), "title": title, "about": about}
             for name, title, about in SETTINGS_PAGES
             if may_open(request.user, PAGE_AREAS.get(name, "settings"))]  # fmt: skip
    return render(request, "crm/settings/index.html", {"pages": pages})


def _refused(form: Any, exc: DomainError | ValidationError) -> None:
    pairs = (
        [(exc.field, exc.message)] if isinstance(exc, DomainError)
        else validation_error_fields(exc)
    )  # fmt: skip
    for name, message in pairs:
        if name == "choices" and isinstance(form, CustomFieldForm):
            form.choice_errors.append(message)
        else:
            form.add_error(name if name in form.fields else None, message)


def _field_data(form: CustomFieldForm) -> dict[str, Any]:
    data = form.cleaned_data
    names = [n for n in CUSTOM_FIELD_FIELDS if n in form.fields]
    return {**{n: data.get(n) for n in names}, "choices": data["choices"]}


def _fields_page(
    request: PageRequest, form: CustomFieldForm | None = None, status: int = 200
) -> HttpResponse:
    return render(request, "crm/settings/custom_fields.html", {
        "fields": manage_selectors.custom_field_list(actor=request.user),
        "form": form or CustomFieldForm(),
    }, status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@settings_page
def custom_fields(request: PageRequest) -> HttpResponse:
    """The fields; POST: a new one."""
    if request.method == "GET":
        return _fields_page(request)
    form = CustomFieldForm(request.POST)
    if form.is_valid() and not form.choice_errors:
        try:
            field = manage_services.custom_field_create(actor=request.user, data=_field_data(form))
        except (DomainError, ValidationError) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Field “%(label)s” added.") % {"label": field.label})
            return HttpResponseRedirect(reverse("crm_settings:custom_fields"))
    return _fields_page(request, form, status=400)


@require_http_methods(["GET", "POST"])
@settings_page
def custom_field(request: PageRequest, field_id: int) -> HttpResponse:
    """One field's edit form (its kind's inputs); POST: save it."""
    field = manage_selectors.custom_field_get(actor=request.user, field_id=field_id)  # 404 first
    holders = manage_selectors.custom_field_holders(actor=request.user, field_id=field_id)
    status = 200
    if request.method == "GET":
        initial = {n: getattr(field, n) for n in CUSTOM_FIELD_FIELDS} | {"choices": field.choices}
        form = CustomFieldForm(initial=initial, editing=True)
    else:
        form = CustomFieldForm(request.POST, editing=True)
        if form.is_valid() and not form.choice_errors:
            try:
                manage_services.custom_field_update(
                    actor=request.user, field_id=field_id, data=_field_data(form)
                )
            except (DomainError, ValidationError) as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("Field “%(label)s” saved.") % {"label": field.label})
                return HttpResponseRedirect(reverse("crm_settings:custom_fields"))
        status = 400
    return render(request, "crm/settings/custom_field.html",
                  {"field": field, "form": form, "holders": holders}, status=status)  # fmt: skip


@require_POST
@settings_page
def custom_field_active(request: PageRequest, field_id: int) -> HttpResponse:
    """Deactivate a field (offered nowhere, its values kept) or reactivate it."""
    manage_selectors.custom_field_get(actor=request.user, field_id=field_id)  # 404 first
    active = request.POST.get("is_active") == "1"
    field = manage_services.custom_field_set_active(
        actor=request.user, field_id=field_id, is_active=active
    )
    message = _("Field “%(label)s” reactivated.") if active else _("Field “%(label)s” deactivated.")
    messages.success(request, message % {"label": field.label})
    return HttpResponseRedirect(reverse("crm_settings:custom_field", args=[field_id]))


@require_POST
@settings_page
def custom_field_delete(request: PageRequest, field_id: int) -> HttpResponse:
    """Remove a field (the page asks first, saying how many accounts hold a value)."""
    field = manage_selectors.custom_field_get(actor=request.user, field_id=field_id)  # 404 first
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick “Yes, remove it” to remove the field."))
        return HttpResponseRedirect(reverse("crm_settings:custom_field", args=[field_id]))
    manage_services.custom_field_delete(actor=request.user, field_id=field_id)
    messages.success(request, _("Field “%(label)s” removed.") % {"label": field.label})
    return HttpResponseRedirect(reverse("crm_settings:custom_fields"))


def _reasons_page(
    request: PageRequest, form: LostReasonForm | None = None, status: int = 200
) -> HttpResponse:
    return render(request, "crm/settings/lost_reasons.html", {
        "reasons": selectors.lost_reason_list(actor=request.user),
        "form": form or LostReasonForm(),
    }, status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@settings_page
def lost_reasons(request: PageRequest) -> HttpResponse:
    """The reasons in the order offered; POST: a new one (offered last)."""
    if request.method == "GET":
        return _reasons_page(request)
    form = LostReasonForm(request.POST)
    if form.is_valid():
        try:
            deal_services.lost_reason_create(actor=request.user, name=form.cleaned_data["name"])
        except (DomainError, ValidationError) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Lost reason added."))
            return HttpResponseRedirect(reverse("crm_settings:lost_reasons"))
    return _reasons_page(request, form, status=400)


@require_POST
@settings_page
def lost_reason(request: PageRequest, reason_id: int) -> HttpResponse:
    """Rename, retire, offer again, or move one reason up or down."""
    selectors.lost_reason_get(actor=request.user, reason_id=reason_id)  # 404 first
    what = request.POST.get("do", "")
    try:
        if what in ("up", "down"):
            deal_services.lost_reason_move(actor=request.user, reason_id=reason_id,
                                           step=-1 if what == "up" else 1)  # fmt: skip
        elif what in ("retire", "offer"):
            deal_services.lost_reason_update(actor=request.user, reason_id=reason_id,
                                             is_active=what == "offer")  # fmt: skip
        elif what == "rename":
            form = LostReasonForm(request.POST)
            if not form.is_valid():
                raise DomainError("name", " ".join(str(e) for e in form.errors.get("name", [])))
            deal_services.lost_reason_update(actor=request.user, reason_id=reason_id,
                                             name=form.cleaned_data["name"])  # fmt: skip
        else:
            raise DomainError("do", _("Unknown action."))
    except (DomainError, ValidationError) as exc:
        messages.error(request, _("Nothing was saved.") + " " + _message(exc))
    else:
        messages.success(request, _("Lost reasons saved."))
    return HttpResponseRedirect(reverse("crm_settings:lost_reasons") + f"#reason-{reason_id}")


@require_POST
@settings_page
def lost_reason_order(request: PageRequest) -> HttpResponse:
    """The whole order at once, as the drag and drop left it (repeated ``reason`` ids)."""
    try:
        ids = [int(v) for v in request.POST.getlist("reason")]
    except ValueError:
        ids = []
    try:
        deal_services.lost_reason_reorder(actor=request.user, reason_ids=ids)
    except DomainError as exc:
        messages.error(request, _("Nothing was saved.") + " " + exc.message)
    else:
        messages.success(request, _("Lost reasons saved."))
    return HttpResponseRedirect(reverse("crm_settings:lost_reasons"))


def _message(exc: DomainError | ValidationError) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    return " ".join(message for _name, message in validation_error_fields(exc))
