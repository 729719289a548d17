"""Writes of document templates: admins only, each checked in the sandbox before it is kept."""

from __future__ import annotations

from django.db import transaction

from fieldcrm.access import require_page
from fieldcrm.documents.models import DocumentTemplate
from fieldcrm.documents.rules import template_check, template_trial
from fieldcrm.users.models import User


@transaction.atomic
def template_save(*, actor: User, kind: str, language: str, body: str) -> DocumentTemplate:
    """Keep an admin's template of ``kind`` in ``language`` (replacing the one before)."""
    require_page(actor, "settings")
    template_check(kind=kind, language=language, body=body)
    template_trial(kind=kind, language=language, body=body)
    template, _created = DocumentTemplate.objects.update_or_create(
        kind=kind, language=language, defaults={"body": body, "updated_by": actor}
    )
    return template


@transaction.atomic
def template_reset(*, actor: User, kind: str, language: str) -> None:
    """Go back to the built-in template of ``kind`` in ``language``."""
    require_page(actor, "settings")
    DocumentTemplate.objects.filter(kind=kind, language=language).delete()
