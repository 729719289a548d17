"""Reads of attachments, from the caller's scope (a record's files are seen where it is)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fieldcrm.access import NotInScope, get_scoped, scoped
from fieldcrm.attachments.models import Attachment
from fieldcrm.attachments.photos import PHOTO_TYPES
from fieldcrm.attachments.records import record_model
from fieldcrm.users.models import User


def attachment_list(*, actor: User, record_type: str, record_id: object) -> QuerySet[Attachment]:
    """A record's files, newest first (NotInScope when the record is not the caller's)."""
    record = get_scoped(record_model(record_type), actor, record_id)
    qs = scoped(Attachment, actor).filter(record_type=record_type)
    qs = (
        qs.filter(account=record)
        if record_type == "account"
        else qs.filter(**{record_type: record})
    )
    return qs.select_related("uploaded_by").order_by("-created_at", "-pk")


def attachment_get(*, actor: User, attachment_id: object) -> Attachment:
    return get_scoped(Attachment, actor, attachment_id)


def attachment_block(*, actor: User, record_type: str, record_id: object) -> dict[str, Any]:
    """What a record's page shows of its files: the list (at most 100), and whether the
    caller may attach more (they may change the record)."""
    rows = list(attachment_list(actor=actor, record_type=record_type, record_id=record_id)[:100])
    model = record_model(record_type)
    may_attach = scoped(model, actor, write=True).filter(pk=record_id).exists()
    return {"rows": rows, "record_type": record_type, "record_id": str(record_id),
            "may_attach": may_attach}  # fmt: skip


def visit_photos(*, actor: User, visit_ids: list[Any]) -> dict[Any, list[Attachment]]:
    """The photos taken on these visits (the phone's resumable uploads, issue 21), oldest
    first, by visit id; only visits in the caller's scope have any (access.py)."""
    if not visit_ids:
        return {}
    rows = (
        scoped(Attachment, actor)
        .filter(record_type="visit", visit_id__in=visit_ids, photo__isnull=False)
        .select_related("photo")
        .order_by("created_at", "pk")
    )
    found: dict[Any, list[Attachment]] = {}
    for row in rows[:500]:
        found.setdefault(row.visit_id, []).append(row)
    return found


def visit_photo_get(*, actor: User, attachment_id: object) -> Attachment:
    """One visit photo the caller may see (NotInScope, the 404 of a missing one, otherwise:
    other files are downloaded, never shown inline)."""
    row = get_scoped(Attachment, actor, attachment_id)
    # Only the raster types a photo upload accepts are shown inline (never an SVG, which is
    # a document that can carry script).
    if row.visit_id is None or row.content_type not in PHOTO_TYPES:
        raise NotInScope(Attachment)
    return row
