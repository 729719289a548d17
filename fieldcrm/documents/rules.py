"""The one check of a template, shared by saving (services) and previewing (selectors)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from fieldcrm.core.errors import DomainError
from fieldcrm.documents import sandbox
from fieldcrm.documents.models import DocumentKind
from fieldcrm.documents.placeholders import SCHEMAS


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
