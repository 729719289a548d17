"""/api/v1/attachments: files on accounts, deals, orders and visits, seen and changed where
their record is (404 outside the caller's scope, exactly like a missing record)."""

from django.http import FileResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from fieldcrm.attachments import selectors, services
from fieldcrm.attachments.schemas import AttachmentFilters, AttachmentOut
from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import Page
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["attachments"])


@router.get("/attachments", response=list[AttachmentOut])
@paginate(Page)
def list_attachments(request: ApiRequest, filters: Query[AttachmentFilters]):
    """A record's files (``record_type``: account, deal, order or visit), newest first."""
    reject_unknown_params(request, AttachmentFilters)
    return selectors.attachment_list(
        actor=request.auth, record_type=filters.record_type, record_id=filters.record_id
    )


@router.post("/attachments", response={201: AttachmentOut})
def upload_attachment(
    request: ApiRequest, file: File[UploadedFile], record_type: Form[str], record_id: Form[str]
):
    """Attach a file (multipart) to a record you may change; size and type limits in the
    README's settings (FIELDCRM_ATTACHMENT_MAX_MB, FIELDCRM_ATTACHMENT_TYPES)."""
    row = services.attachment_create(
        actor=request.auth, record_type=record_type, record_id=record_id, upload=file
    )
    return Status(201, row)


@router.get("/attachments/{attachment_id}", response=AttachmentOut)
def get_attachment(request: ApiRequest, attachment_id: int):
    return selectors.attachment_get(actor=request.auth, attachment_id=attachment_id)


@router.get("/attachments/{attachment_id}/download")
def download_attachment(request: ApiRequest, attachment_id: int):
    """The file itself, with the type the server decided at upload."""
    row = selectors.attachment_get(actor=request.auth, attachment_id=attachment_id)
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.name,
                        content_type=row.content_type)  # fmt: skip


@router.delete("/attachments/{attachment_id}", response={204: None})
def delete_attachment(request: ApiRequest, attachment_id: int):
    services.attachment_delete(actor=request.auth, attachment_id=attachment_id)
    return Status(204, None)
