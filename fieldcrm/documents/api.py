"""/api/v1/orders/{id}/pdf and /api/v1/visits/{id}/pdf: documents rendered from templates, seen
exactly where their record is (404 outside the caller's scope, like the record itself)."""

import uuid
from typing import Literal

from django.http import HttpResponse
from django.utils.translation import get_language
from ninja import Router

from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.documents import selectors
from fieldcrm.documents.selectors import Document
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["documents"])

Language = Literal["en", "vi", "fa"]


def _pdf(document: Document) -> HttpResponse:
    response = HttpResponse(document.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response


def _language(language: Language | None) -> str:
    return language or (get_language() or "en")[:2]


@router.get("/orders/{order_id}/pdf")
def get_order_pdf(request: ApiRequest, order_id: uuid.UUID, language: Language | None = None):
    """The quote or order confirmation as a PDF in ``language`` (default: the request's)."""
    reject_unknown_params(request, extra=("language",))
    doc = selectors.order_document(
        actor=request.auth, order_id=order_id, language=_language(language)
    )
    return _pdf(doc)


@router.get("/visits/{visit_id}/pdf")
def get_visit_pdf(request: ApiRequest, visit_id: uuid.UUID, language: Language | None = None):
    """The visit's report as a PDF in ``language`` (default: the request's)."""
    reject_unknown_params(request, extra=("language",))
    doc = selectors.visit_document(
        actor=request.auth, visit_id=visit_id, language=_language(language)
    )
    return _pdf(doc)
