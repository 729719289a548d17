"""The one check of a template, shared by saving (services) and previewing (selectors), and
the one way a template becomes a PDF, within the render's limits (documents.limits)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from fieldcrm.core.errors import DomainError
from fieldcrm.documents import limits, pdf, sandbox
from fieldcrm.documents.models import DocumentKind
from fieldcrm.documents.placeholders import SCHEMAS, sample_data


def template_check(*, kind: str, language: str, body: str) -> None:
    """Refuse (DomainError naming the field) an unknown kind or language, or a body that does
    not parse or names what the kind's placeholders do not offer."""
    if kind not in DocumentKind.values:
        raise DomainError("kind", _("Unknown document kind."))
    language_check(language)
    if not body.strip():
        raise DomainError("body", _("The template is empty."))
    try:
        sandbox.check(body, SCHEMAS[kind])
    except sandbox.TemplateRefused as exc:
        raise DomainError("body", str(exc)) from None


def language_check(language: str) -> str:
    """``language`` when it is one of the site's (en, vi, fa); else DomainError."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError("language", _("Unknown language."))
    return language


def render_pdf(*, kind: str, language: str, data: dict[str, Any], body: str, field: str) -> bytes:
    """``body`` rendered with ``data`` as a PDF, within one budget (limits): past a limit, or
    with a filter that cannot take its value, a DomainError naming ``field`` — ``body`` for a
    template being saved or previewed, ``template`` for the saved one a document is made from.
    Nothing is written either way."""
    try:
        with limits.budget():
            html = pdf.page_html(
                body=sandbox.render(body, data), language=language,
                title=str(DocumentKind(kind).label),
            )  # fmt: skip
            return pdf.pdf_bytes(html)
    except (limits.RenderLimit, sandbox.RenderRefused) as exc:
        if field == "body":
            raise DomainError(field, str(exc)) from None
        raise DomainError(field, _("This document's template cannot make it: %(reason)s "
                                   "An admin can change the template under Settings → "
                                   "Document templates.") % {"reason": exc}) from None  # fmt: skip


def template_trial(*, kind: str, language: str, body: str) -> None:
    """A template about to be saved, made once with its kind's made-up data: one that passes
    a limit even then is refused at ``body`` before it is kept."""
    render_pdf(kind=kind, language=language, data=sample_data(kind=kind, language=language),
               body=body, field="body")  # fmt: skip
