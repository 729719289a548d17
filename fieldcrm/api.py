"""The JSON API: one NinjaAPI, each app's router mounted under /api/v1/."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from fieldcrm.core.errors import DomainError, validation_error_fields


class FieldCRMAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:  # type: ignore[no-untyped-def]
        # Handler names are the operationIds and the URL names (STYLE 2.3).
        return operation.view_func.__name__


api = FieldCRMAPI(
    title="FieldCRM API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
)


def _error(request: HttpRequest, status: int, fields: list[tuple[str, str]]) -> HttpResponse:
    detail = [{"loc": ["body", *field.split(".")], "msg": msg} for field, msg in fields]
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, 422, [(exc.field, exc.message)])


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, validation_error_fields(exc))
