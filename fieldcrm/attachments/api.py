"""/api/v1/attachments: files on accounts, deals, orders and visits, seen and changed where
their record is (404 outside the caller's scope, exactly like a missing record)."""

from django.http import FileResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from fieldcrm.attachments import photos, selectors, services
from fieldcrm.attachments.schemas import (
    AttachmentFilters,
    AttachmentOut,
    PhotoUploadIn,
    PhotoUploadOut,
)
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


@router.post("/photos", response={201: PhotoUploadOut, 200: PhotoUploadOut})
def create_photo_upload(request: ApiRequest, payload: PhotoUploadIn):
    """Start a visit photo's upload (resumable): the photo's ``size`` (at most 2 MB),
    ``sha256`` and ``content_type`` (JPEG, PNG, WebP) and ``kind`` (shelf, display, damage).
    The same photo again answers the same upload (200) with the offset the server holds."""
    row = photos.photo_upload_create(actor=request.auth, **payload.dict())
    return Status(201 if row.received == 0 and row.attachment_id is None else 200, row)


@router.get("/photos/{photo_id}", response=PhotoUploadOut)
def get_photo_upload(request: ApiRequest, photo_id: str):
    """The upload's offset: where the next part starts after a dropped connection."""
    return photos.photo_upload_get(actor=request.auth, upload_id=photo_id)


@router.patch(
    "/photos/{photo_id}", response=PhotoUploadOut,
    openapi_extra={"requestBody": {"content": {"application/offset+octet-stream": {
        "schema": {"type": "string", "format": "binary"}}}}},
)  # fmt: skip
def append_photo_upload(request: ApiRequest, photo_id: str):
    """Append the raw body (at most 64 KB) at the ``Upload-Offset`` header, which must be the
    server's offset (409 with the offset otherwise). The last part checks the SHA-256 and the
    upload rules and makes the photo an attachment on the visit (``attachment_id``)."""
    return photos.photo_upload_append(
        actor=request.auth, upload_id=photo_id,
        offset=request.headers.get("Upload-Offset"), data=request.body,
    )  # fmt: skip
