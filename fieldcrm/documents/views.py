"""The documents' pages: the template editor under /crm/settings/documents (admins only, like
the other settings pages) and the PDF downloads of an order or a visit (/crm/.../pdf, seen
where the record is). HTTP only: a refusal shows the editor again (400) with the message at
its field."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fieldcrm.automation.views import settings_page
from fieldcrm.core.errors import DomainError
from fieldcrm.crm.views import crm_page
from fieldcrm.documents import selectors, services
from fieldcrm.documents.models import DocumentKind
from fieldcrm.documents.placeholders import schema_rows
from fieldcrm.documents.sandbox import FILTERS, MAX_TEMPLATE_CHARS, TAGS
from fieldcrm.documents.selectors import Document
from fieldcrm.users.auth import PageRequest


class TemplateForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Template"), strip=False, max_length=MAX_TEMPLATE_CHARS,
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "dir": "ltr", "spellcheck": "false"}),
    )  # fmt: skip


def _pdf(document: Document, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(document.content, content_type="application/pdf")
    how = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{how}; filename="{document.filename}"'
    return response


def _kind_language(kind: str, language: str) -> tuple[str, str]:
    if kind not in DocumentKind.values or language not in dict(settings.LANGUAGES):
        raise Http404(_("Not found."))
    return kind, language


def _language(request: PageRequest) -> str:
    asked = request.GET.get("language", "")
    return asked if asked in dict(settings.LANGUAGES) else (get_language() or "en")[:2]


@require_GET
@settings_page
def templates(request: PageRequest) -> HttpResponse:
    """Every kind in every language: built in or saved by an admin."""
    rows = selectors.template_list(actor=request.user)
    return render(request, "documents/templates.html", {"rows": rows})


def _editor(
    request: PageRequest, kind: str, language: str, form: TemplateForm, customized: bool,
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    return render(request, "documents/template.html", {
        "kind": kind, "kind_label": DocumentKind(kind).label, "language": language,
        "language_name": dict(settings.LANGUAGES)[language], "form": form,
        "customized": customized, "placeholders": schema_rows(kind),
        "tags": TAGS, "filters": FILTERS,
    }, status=status)  # fmt: skip


def _refused(form: TemplateForm, exc: DomainError) -> None:
    form.add_error("body" if exc.field == "body" else None, exc.message)


@require_http_methods(["GET", "POST"])
@settings_page
def template(request: PageRequest, kind: str, language: str) -> HttpResponse:
    """The editor of one kind in one language; POST saves it (do=reset: the built-in one)."""
    kind, language = _kind_language(kind, language)
    body, customized = selectors.template_body(kind=kind, language=language)
    if request.method == "GET":
        return _editor(request, kind, language, TemplateForm(initial={"body": body}), customized)
    here = reverse("documents:template", args=[kind, language])
    if request.POST.get("do") == "reset":
        services.template_reset(actor=request.user, kind=kind, language=language)
        messages.success(request, _("The built-in template is back."))
        return HttpResponseRedirect(here)
    form = TemplateForm(request.POST)
    if form.is_valid():
        try:
            services.template_save(
                actor=request.user, kind=kind, language=language, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Template saved."))
            return HttpResponseRedirect(here)
    return _editor(request, kind, language, form, customized, status=400)


@require_POST
@settings_page
def template_preview(request: PageRequest, kind: str, language: str) -> HttpResponse:
    """The unsaved template as a PDF of made-up data; a refused one shows the editor (400)."""
    kind, language = _kind_language(kind, language)
    form = TemplateForm(request.POST)
    if form.is_valid():
        try:
            document = selectors.template_preview(
                actor=request.user, kind=kind, language=language, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            return _pdf(document, inline=True)
    customized = selectors.template_body(kind=kind, language=language)[1]
    return _editor(request, kind, language, form, customized, status=400)


def _not_made(request: PageRequest, exc: DomainError) -> HttpResponse:
    """A document its saved template cannot make (a limit passed): the error page, 422."""
    return render(request, "error.html", {
        "error_status": 422, "error_title": _("This document cannot be made"),
        "error_message": exc.message,
    }, status=422)  # fmt: skip


@require_GET
@crm_page
def order_pdf(request: PageRequest, order_id: object) -> HttpResponse:
    """The quote or order confirmation as a PDF (``?language=en|vi|fa``)."""
    try:
        document = selectors.order_document(
            actor=request.user, order_id=order_id, language=_language(request)
        )
    except DomainError as exc:
        return _not_made(request, exc)
    return _pdf(document)


@require_GET
@crm_page
def visit_pdf(request: PageRequest, visit_id: object) -> HttpResponse:
    """The visit report as a PDF (``?language=en|vi|fa``)."""
    try:
        document = selectors.visit_document(
            actor=request.user, visit_id=visit_id, language=_language(request)
        )
    except DomainError as exc:
        return _not_made(request, exc)
    return _pdf(document)
