"""/api/v1/accounts import (CSV/XLSX, dry run) and export (CSV/XLSX/GeoJSON).

Mounted before the accounts router, so these literal paths win over /accounts/{account_id}.
"""

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from fieldcrm.accounts import exports, imports
from fieldcrm.accounts.schemas import AccountFilters
from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.schemas import ErrorItem, ErrorOut
from fieldcrm.crm.segments import segment_among
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["import-export"])


class ImportProblemOut(Schema):
    row: int | None
    field: str
    problem: str


class ImportReportOut(Schema):
    dry_run: bool
    partial: bool
    saved: bool
    rows: int
    counts: dict[str, int]
    errors: list[ImportProblemOut]
    warnings: list[str]
    geocoded: dict[str, int] = Field(
        default_factory=dict, description="Rows located from their address, per match quality"
    )
    detail: list[ErrorItem] | None = None


# A 422 is either the import's own report or a request that never reached it (bad params).
IMPORT_RESPONSES = {200: ImportReportOut, 413: ImportReportOut, 422: ImportReportOut | ErrorOut}


@router.post("/accounts/import", response=IMPORT_RESPONSES)
def import_accounts(
    request: ApiRequest, file: File[UploadedFile], dry_run: bool = False, partial: bool = False
):
    """Upload accounts as CSV (UTF-8) or XLSX; managers and admins only.

    ``dry_run=true`` saves nothing and reports per row (row number as in the file, header = 1)
    and the counts that would result. A real run is all-or-nothing (422 with the report)
    unless ``partial=true``. Rows upsert on ``id``, else ``external_id``.
    """
    report = imports.account_import_upload(
        actor=request.auth, upload=file, dry_run=dry_run, partial=partial
    )
    return Status(report.status_code, report)


def _download(export: exports.Export) -> HttpResponse | StreamingHttpResponse:
    response: HttpResponse | StreamingHttpResponse
    if isinstance(export.content, bytes):
        response = HttpResponse(export.content, content_type=export.content_type)
    else:
        response = StreamingHttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def _export(request: ApiRequest, filters: AccountFilters, fmt: str) -> HttpResponseBase:
    among = segment_among(actor=request.auth, segment_id=filters.segment)
    return _download(
        exports.account_export(actor=request.auth, filters=filters, fmt=fmt, among=among)
    )


@router.get("/accounts/export.csv")
def export_accounts_csv(request: ApiRequest, filters: Query[AccountFilters]):
    """Accounts in your scope matching the list's filters, in the importer's columns."""
    reject_unknown_params(request, AccountFilters, extra=())
    return _export(request, filters, "csv")


@router.get("/accounts/export.xlsx")
def export_accounts_xlsx(request: ApiRequest, filters: Query[AccountFilters]):
    """The CSV export as an XLSX workbook."""
    reject_unknown_params(request, AccountFilters, extra=())
    return _export(request, filters, "xlsx")


@router.get("/accounts/export.geojson")
def export_accounts_geojson(request: ApiRequest, filters: Query[AccountFilters]):
    """A FeatureCollection of every matching account (null geometry where none is known)."""
    reject_unknown_params(request, AccountFilters, extra=())
    return _export(request, filters, "geojson")
