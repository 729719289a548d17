"""Writes of attachments: upload and delete, as allowed on the record itself."""

from __future__ import annotations

import contextlib
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from fieldcrm.access import get_scoped
from fieldcrm.attachments.models import Attachment, RecordType
from fieldcrm.attachments.records import record_model
from fieldcrm.attachments.types import CONTENT_TYPES, content_matches
from fieldcrm.core.errors import DomainError
from fieldcrm.users.models import User


def _checked_name(upload: UploadedFile) -> tuple[str, str]:
    """The upload's file name (no path, NFC, at most 200 characters) and its extension."""
    raw = unicodedata.normalize("NFC", PurePosixPath((upload.name or "").replace("\\", "/")).name)
    name = "".join(c for c in raw if c.isprintable()).strip()[-200:]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = [e.lower() for e in settings.FIELDCRM_ATTACHMENT_TYPES]
    if extension not in allowed or extension not in CONTENT_TYPES:
        raise DomainError("file", _("Files of this type are not accepted; allowed: %(types)s.")
                          % {"types": ", ".join(allowed)})  # fmt: skip
    return name, extension


def _check_file(upload: UploadedFile) -> tuple[str, str]:
    limit = int(settings.FIELDCRM_ATTACHMENT_MAX_MB * 1024 * 1024)
    if not upload.size:
        raise DomainError("file", _("The file is empty."))
    if upload.size > limit:
        raise DomainError("file", _("The file is larger than %(mb)s MB.")
                          % {"mb": f"{settings.FIELDCRM_ATTACHMENT_MAX_MB:g}"})  # fmt: skip
    name, extension = _checked_name(upload)
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if not content_matches(extension, head):
        raise DomainError("file", _("The file's content is not a .%(ext)s file.")
                          % {"ext": extension})  # fmt: skip
    return name, extension


def attachment_create(
    *, actor: User, record_type: str, record_id: object, upload: UploadedFile
) -> Attachment:
    """Attach ``upload`` to a record the caller may change (404 outside their scope, 403 when
    they may only read it). The file is written first and removed again if the row is not
    saved, so a refusal leaves neither a row nor a file."""
    record = get_scoped(record_model(record_type), actor, record_id, write=True)
    return attachment_store(record_type=record_type, record=record, upload=upload,
                            uploaded_by=actor)  # fmt: skip


def attachment_store(
    *, record_type: str, record: Any, upload: UploadedFile, uploaded_by: User | None
) -> Attachment:
    """Keep ``upload`` on ``record`` under the same type and size rules as an upload. For the
    server's own files (a received e-mail's attachments, a quote's PDF sent by e-mail): the
    caller has checked who may write to the record. DomainError naming ``file`` on a refusal,
    and neither a row nor a file is left."""
    name, extension = _check_file(upload)
    row = Attachment(
        record_type=record_type, name=name, size=upload.size or 0,
        content_type=CONTENT_TYPES[extension], uploaded_by=uploaded_by,
        account_id=record.pk if record_type == RecordType.ACCOUNT else record.account_id,
        **({} if record_type == RecordType.ACCOUNT else {record_type: record}),
    )  # fmt: skip
    row.file.save(f"attachments/{uuid.uuid4().hex}.{extension}", upload, save=False)
    try:
        with transaction.atomic():
            row.full_clean()
            row.save()
    except BaseException:
        row.file.delete(save=False)
        raise
    return row


@contextlib.contextmanager
def files_kept_only_if_committed() -> Iterator[list[Attachment]]:
    """For a caller storing several files in its own transaction: every row it appends to the
    list has its bytes removed again if the block fails (Django's storage is not transactional,
    so a rolled-back row would leave its file behind)."""
    stored: list[Attachment] = []
    try:
        yield stored
    except BaseException:
        for row in stored:
            row.file.delete(save=False)
        raise


@transaction.atomic
def attachment_delete(*, actor: User, attachment_id: int) -> None:
    """Remove a file from a record the caller may change; the bytes go once the row has."""
    row = get_scoped(Attachment, actor, attachment_id, write=True)
    storage, name = row.file.storage, row.file.name or ""
    row.delete()
    transaction.on_commit(lambda: storage.delete(name))
