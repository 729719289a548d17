"""The workspace's settings pages (/crm/settings/...): automation rules and webhooks, admins
only (access.PAGE_ROLES["settings"]). HTTP only: parse with a form, call a service, render;
a refusal shows the page again with the message at its field."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fieldcrm.access import NotInScope
from fieldcrm.automation import selectors, services
from fieldcrm.automation.forms import RuleForm, WebhookForm
from fieldcrm.automation.models import WebhookDelivery
from fieldcrm.automation.presets import PRESETS
from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.users.auth import PageRequest, page_view

RUN_LIMIT = 50

# A service's field names -> the rule form's.
RULE_FIELDS = {
    "name": "name", "trigger": "trigger", "conditions": "c0_field", "actions": "a0_type",
    "trigger_params": "trigger", "trigger_params.days": "days", "trigger_params.since": "since",
    "trigger_params.field": "date_field",
}  # fmt: skip


# Admins only (access.PAGE_ROLES["settings"]), times in the reader's zone.
settings_page = page_view("settings", local_time=True)


def _refused(form: Any, exc: DomainError | ValidationError, fields: dict[str, str]) -> None:
    pairs = (
        [(exc.field, exc.message)] if isinstance(exc, DomainError)
        else validation_error_fields(exc)
    )  # fmt: skip
    for name, message in pairs:
        form.add_error(fields.get(name) if fields.get(name) in form.fields else None, message)


def _rules_page(
    request: PageRequest, form: RuleForm | None = None, status: int = 200
) -> HttpResponse:
    return render(request, "automation/rules.html", {
        "rules": selectors.rule_list(actor=request.user),
        "runs": selectors.rule_runs(actor=request.user)[:RUN_LIMIT],
        "presets": PRESETS,
        "form": form or RuleForm(**selectors.rule_form_choices(actor=request.user)),
    }, status=status)  # fmt: skip


def _rule_saved(request: PageRequest, form: RuleForm, rule_id: int | None) -> bool:
    """Save the form's rule (new, or ``rule_id``); a refusal goes to its field."""
    if not form.is_valid():
        return False
    try:
        if rule_id is None:
            services.rule_create(actor=request.user, data=form.rule_data())
        else:
            services.rule_update(actor=request.user, rule_id=rule_id, data=form.rule_data())
    except (DomainError, ValidationError) as exc:
        _refused(form, exc, RULE_FIELDS)
        return False
    messages.success(request, _("Rule saved."))
    return True


@require_http_methods(["GET", "POST"])
@settings_page
def rules(request: PageRequest) -> HttpResponse:
    """The rules, ready templates, the run log; POST: a new rule."""
    if request.method == "GET":
        return _rules_page(request)
    form = RuleForm(request.POST, **selectors.rule_form_choices(actor=request.user))
    if _rule_saved(request, form, None):
        return HttpResponseRedirect(reverse("automation:rules"))
    return _rules_page(request, form, status=400)


@require_http_methods(["GET", "POST"])
@settings_page
def rule_edit(request: PageRequest, rule_id: int) -> HttpResponse:
    """One rule's when / if / then as the new-rule form, filled in; POST: save it."""
    rule = selectors.rule_get(actor=request.user, rule_id=rule_id)  # 404 first
    choices = selectors.rule_form_choices(actor=request.user)
    if request.method == "POST":
        form = RuleForm(request.POST, **choices)
        if _rule_saved(request, form, rule_id):
            return HttpResponseRedirect(reverse("automation:rules"))
        status = 400
    else:
        form, status = RuleForm(initial=RuleForm.initial_for(rule), **choices), 200
    return render(request, "automation/rule_edit.html", {"rule": rule, "form": form},
                  status=status)  # fmt: skip


@require_POST
@settings_page
def rule_from_template(request: PageRequest) -> HttpResponse:
    try:
        rule = services.rule_from_preset(actor=request.user, key=request.POST.get("template", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Rule “%(name)s” made from the template.") % {"name": rule.name}
        )
    return HttpResponseRedirect(reverse("automation:rules"))


@require_POST
@settings_page
def rule(request: PageRequest, rule_id: int) -> HttpResponse:
    """Enable, disable or delete one rule."""
    selectors.rule_get(actor=request.user, rule_id=rule_id)  # 404 first
    what = request.POST.get("do")
    if what == "delete":
        services.rule_delete(actor=request.user, rule_id=rule_id)
        messages.success(request, _("Rule deleted."))
    elif what in ("enable", "disable"):
        services.rule_update(
            actor=request.user, rule_id=rule_id, data={"enabled": what == "enable"}
        )
        messages.success(request, _("Rule enabled.") if what == "enable" else _("Rule disabled."))
    else:
        messages.error(request, _("Unknown action."))
    return HttpResponseRedirect(reverse("automation:rules"))


def _webhooks_page(
    request: PageRequest, form: WebhookForm | None = None, status: int = 200
) -> HttpResponse:
    return render(request, "automation/webhooks.html", {
        "webhooks": selectors.webhook_list(actor=request.user),
        "form": form or WebhookForm(),
    }, status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@settings_page
def webhooks(request: PageRequest) -> HttpResponse:
    """The webhooks with their secrets; POST: subscribe a URL."""
    if request.method == "GET":
        return _webhooks_page(request)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            hook = services.webhook_create(actor=request.user, data=form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            _refused(form, exc, {"url": "url", "event_types": "event_types"})
        else:
            messages.success(request, _("Webhook saved."))
            return HttpResponseRedirect(reverse("automation:webhook", args=[hook.pk]))
    return _webhooks_page(request, form, status=400)


@require_http_methods(["GET", "POST"])
@settings_page
def webhook(request: PageRequest, webhook_id: int) -> HttpResponse:
    """One webhook's delivery log (every attempt); POST: enable, disable or delete it."""
    hook = selectors.webhook_get(actor=request.user, webhook_id=webhook_id)  # 404 first
    if request.method == "POST":
        what = request.POST.get("do")
        if what == "delete":
            services.webhook_delete(actor=request.user, webhook_id=webhook_id)
            messages.success(request, _("Webhook deleted."))
            return HttpResponseRedirect(reverse("automation:webhooks"))
        if what in ("enable", "disable"):
            services.webhook_update(actor=request.user, webhook_id=webhook_id,
                                    data={"enabled": what == "enable"})  # fmt: skip
            messages.success(request, _("Webhook enabled.") if what == "enable"
                             else _("Webhook disabled."))  # fmt: skip
        return HttpResponseRedirect(reverse("automation:webhook", args=[webhook_id]))
    log = selectors.webhook_deliveries(actor=request.user, webhook_id=webhook_id)[:100]
    return render(request, "automation/webhook.html", {"webhook": hook, "log": log})


@require_POST
@settings_page
def replay(request: PageRequest, delivery_id: int) -> HttpResponse:
    wd = selectors.webhook_deliveries(actor=request.user).filter(pk=delivery_id).first()
    if wd is None:
        raise NotInScope(WebhookDelivery)
    try:
        services.webhook_replay(actor=request.user, delivery_id=delivery_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("It will be sent again on the worker's next round."))
    return HttpResponseRedirect(reverse("automation:webhook", args=[wd.webhook_id]))
