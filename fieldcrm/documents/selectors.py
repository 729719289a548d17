"""Reads: the templates (admins), and documents rendered from a record read through the
caller's scope (orders.selectors / visits.selectors start from access.scoped), so a PDF is
seen exactly where its record is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from fieldcrm.access import require_page, scoped
from fieldcrm.documents.defaults import default_body
from fieldcrm.documents.models import DocumentKind, DocumentTemplate
from fieldcrm.documents.placeholders import kind_of, order_data, sample_data, visit_data
from fieldcrm.documents.rules import language_check, render_pdf, template_check
from fieldcrm.orders.models import Product
from fieldcrm.orders.selectors import order_get
from fieldcrm.users.models import User
from fieldcrm.visits.selectors import visit_get


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes


@dataclass(frozen=True)
class TemplateRow:
    kind: str
    label: str
    language: str
    language_name: str
    customized: bool
    updated_at: Any


def template_list(*, actor: User) -> list[TemplateRow]:
    """Every kind in every language, saved or built in (admins)."""
    require_page(actor, "settings")
    saved = {(t.kind, t.language): t for t in scoped(DocumentTemplate, actor)}
    return [
        TemplateRow(
            kind,
            str(label),
            code,
            name,
            (kind, code) in saved,
            getattr(saved.get((kind, code)), "updated_at", None),
        )  # fmt: skip
        for kind, label in DocumentKind.choices
        for code, name in settings.LANGUAGES
    ]


def template_body(*, kind: str, language: str) -> tuple[str, bool]:
    """The template in force for ``kind`` in ``language``, and whether an admin saved it."""
    row = DocumentTemplate.objects.filter(kind=kind, language=language).first()
    return (row.body, True) if row else (default_body(kind, language), False)


def _render(kind: str, language: str, data: dict[str, Any], body: str | None = None) -> bytes:
    field = "body" if body is not None else "template"
    body = body if body is not None else template_body(kind=kind, language=language)[0]
    return render_pdf(kind=kind, language=language, data=data, body=body, field=field)


def order_document(*, actor: User, order_id: object, language: str) -> Document:
    """The PDF of an order (order confirmation) or quote in ``language``."""
    order = order_get(actor=actor, order_id=order_id)
    language = language_check(language)
    lines = list(order.lines.all())
    skus = dict(
        Product.objects.filter(pk__in={li.product_id for li in lines}).values_list("pk", "sku")
    )
    data = order_data(order=order, lines=lines, skus=skus, language=language)
    content = _render(kind_of(order), language, data)
    return Document(f"{order.number}-{language}.pdf", content)


def visit_document(*, actor: User, visit_id: object, language: str) -> Document:
    """The visit report of a visit in ``language``."""
    visit = visit_get(actor=actor, visit_id=visit_id)
    language = language_check(language)
    data = visit_data(visit=visit, language=language)
    day = (visit.completed_at.date() if visit.completed_at else visit.scheduled_on) or ""
    return Document(f"visit-{day}-{language}.pdf", _render(DocumentKind.VISIT, language, data))


def template_preview(*, actor: User, kind: str, language: str, body: str) -> Document:
    """An unsaved template rendered with made-up data of its kind (admins)."""
    require_page(actor, "settings")
    template_check(kind=kind, language=language, body=body)
    content = _render(kind, language, sample_data(kind=kind, language=language), body)
    return Document(f"preview-{kind}-{language}.pdf", content)
