"""A visit's photos from the phone, uploaded in parts so a dropped connection resumes where
the server's bytes end (README, "Attachments"): create an upload naming the photo's size and
SHA-256, append parts at the server's offset, and the last part turns it into an Attachment
on the visit after the upload rules (type, content, size) and the hash are checked."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fieldcrm.access import NotInScope, get_scoped
from fieldcrm.attachments.models import PhotoKind, PhotoUpload, RecordType
from fieldcrm.attachments.services import attachment_store
from fieldcrm.core.errors import DomainError
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

PHOTO_MAX_BYTES = 2 * 1024 * 1024  # the phone sends <= 480 KB; a camera original is refused
PART_MAX_BYTES = 64 * 1024
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class OffsetMismatch(Exception):
    """A part sent at an offset other than the server's: the answer names the server's."""

    def __init__(self, upload: PhotoUpload) -> None:
        super().__init__(_("The upload is at byte %(offset)s.") % {"offset": upload.received})
        self.upload = upload


def _visit(actor: User, visit_id: object) -> Visit:
    try:
        key = uuid.UUID(str(visit_id))
    except ValueError:
        raise NotInScope(Visit) from None
    return get_scoped(Visit, actor, key, write=True)


def photo_upload_create(
    *, actor: User, visit_id: object, kind: str, size: int, sha256: str, content_type: str
) -> PhotoUpload:
    """Start (or, for the same photo again, find) an upload on a visit the caller may change;
    404 outside their scope. A finished photo's upload answers its offset = size."""
    visit = _visit(actor, visit_id)
    if kind not in PhotoKind.values:
        raise DomainError("kind", _("A photo is of a shelf, a display or damage."))
    if content_type not in PHOTO_TYPES:
        raise DomainError("content_type", _("A photo is a JPEG, PNG or WebP image."))
    if size <= 0:
        raise DomainError("size", _("The file is empty."))
    if size > PHOTO_MAX_BYTES:
        raise DomainError("size", _("A photo is at most %(kb)s KB.")
                          % {"kb": PHOTO_MAX_BYTES // 1024})  # fmt: skip
    digest = sha256.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise DomainError("sha256", _("The SHA-256 is 64 hexadecimal digits."))
    existing = PhotoUpload.objects.filter(visit=visit, uploaded_by=actor, sha256=digest).first()
    if existing is not None:
        return existing
    row = PhotoUpload(visit=visit, uploaded_by=actor, kind=kind, size=size, sha256=digest,
                      content_type=content_type)  # fmt: skip
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # the same photo created at the same moment by a retry
        return PhotoUpload.objects.get(visit=visit, uploaded_by=actor, sha256=digest)
    return row


def photo_upload_get(*, actor: User, upload_id: object) -> PhotoUpload:
    """The caller's own upload on a visit they may still change; else the 404 of a missing one."""
    try:
        key = uuid.UUID(str(upload_id))
    except ValueError:
        raise NotInScope(PhotoUpload) from None
    row = PhotoUpload.objects.filter(pk=key, uploaded_by=actor).select_related("visit").first()
    if row is None or not actor.is_active:
        raise NotInScope(PhotoUpload)
    try:
        get_scoped(Visit, actor, row.visit_id, write=True)
    except NotInScope:
        raise NotInScope(PhotoUpload) from None
    return row


def photo_upload_append(*, actor: User, upload_id: object, offset: Any, data: bytes) -> PhotoUpload:
    """Append ``data`` at ``offset`` (which must be the server's: OffsetMismatch, a 409 naming
    it, otherwise). The part that completes the photo checks its SHA-256 and the upload rules
    and keeps it as an Attachment on the visit; a refusal removes the upload, bytes and all,
    so the phone starts over or gives up (nothing half-saved)."""
    try:
        at = int(offset)
    except (TypeError, ValueError):
        raise DomainError("Upload-Offset", _("Send the byte offset the part starts at.")) from None
    refusal: DomainError | None = None
    with transaction.atomic():
        row = photo_upload_get(actor=actor, upload_id=upload_id)
        row = PhotoUpload.objects.select_for_update().get(pk=row.pk)
        if row.attachment_id is not None or at != row.received:
            raise OffsetMismatch(row)
        if not data:
            raise DomainError("body", _("The part is empty."))
        if len(data) > PART_MAX_BYTES:
            raise DomainError("body", _("A part is at most %(kb)s KB.")
                              % {"kb": PART_MAX_BYTES // 1024})  # fmt: skip
        if at + len(data) > row.size:
            raise DomainError("body", _("The part goes past the photo's size."))
        storage = row.file.storage
        old = row.file.name or ""
        before = storage.open(old, "rb").read() if old else b""
        name = storage.save(f"uploads/{row.pk.hex}-{at + len(data)}.part",
                            ContentFile(before + data))  # fmt: skip
        row.file.name = name
        row.received = at + len(data)
        row.save(update_fields=["file", "received"])
        if old:
            transaction.on_commit(lambda: storage.delete(old))
        if row.received < row.size:
            return row
        content = before + data
        if hashlib.sha256(content).hexdigest() != row.sha256:
            refusal = DomainError(
                "sha256", _("The photo's bytes do not match its SHA-256; send it again.")
            )
        else:
            extension = PHOTO_TYPES[row.content_type]
            upload = SimpleUploadedFile(f"{row.kind}.{extension}", content, row.content_type)
            try:
                with transaction.atomic():
                    attachment = attachment_store(record_type=RecordType.VISIT, record=row.visit,
                                                  upload=upload, uploaded_by=actor)  # fmt: skip
            except DomainError as exc:
                refusal = DomainError("file", exc.message)
            else:  # the bytes live on in the attachment: the parts' file goes
                row.attachment = attachment
                row.file.name = ""
                row.save(update_fields=["attachment", "file"])
                transaction.on_commit(lambda: storage.delete(name))
        if refusal is not None:
            _discard(row)
    if refusal is not None:
        raise refusal
    return row


def _discard(row: PhotoUpload) -> None:
    """Remove a refused upload after its transaction commits (the refusal is the answer)."""
    storage, name = row.file.storage, row.file.name or ""
    PhotoUpload.objects.filter(pk=row.pk).delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
