"""Attachment shapes."""

import datetime as dt
import uuid

from ninja import Field, Schema


class AttachmentOut(Schema):
    id: int
    record_type: str
    record_id: str
    name: str
    content_type: str
    size: int
    uploaded_by: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_record_id(obj) -> str:
        if obj.record_type == "account":
            return str(obj.account_id)
        return str(getattr(obj, f"{obj.record_type}_id"))

    @staticmethod
    def resolve_uploaded_by(obj) -> str | None:
        return obj.uploaded_by.display_name if obj.uploaded_by_id else None


class AttachmentFilters(Schema):
    record_type: str
    record_id: str


class PhotoUploadIn(Schema):
    visit_id: str
    kind: str
    size: int = Field(ge=0, le=2**53)
    sha256: str
    content_type: str


class PhotoUploadOut(Schema):
    id: uuid.UUID
    visit_id: uuid.UUID
    kind: str
    size: int
    offset: int
    complete: bool
    attachment_id: int | None

    @staticmethod
    def resolve_offset(obj) -> int:
        return obj.received

    @staticmethod
    def resolve_complete(obj) -> bool:
        return obj.attachment_id is not None
