"""Reads of bulk changes: the caller's last one (the one an undo would take back)."""

from __future__ import annotations

from typing import Any

from fieldcrm.access import scoped
from fieldcrm.bulk.fields import FIELDS
from fieldcrm.bulk.models import BulkChange
from fieldcrm.users.models import User


def bulk_change_last(*, actor: User) -> BulkChange | None:
    """The caller's own latest bulk change, undone or not (an admin's too: undo is personal)."""
    return scoped(BulkChange, actor).filter(actor=actor).order_by("-pk").first()


def bulk_change_summary(*, change: BulkChange) -> dict[str, Any]:
    """A change as plain data (BulkChangeOut), values named the way people read them."""
    spec = FIELDS[change.field]
    value_display = spec.display_value(change.value)
    restored = len(change.items) - len(change.undo_skipped) if change.undone_at else 0
    return {
        "id": change.pk, "field": change.field, "field_label": spec.label(),
        "value": change.value, "value_display": value_display,
        "created_at": change.created_at, "count": len(change.items),
        "accounts": [{"id": i["id"], "name": i["name"]} for i in change.items],
        "refused": change.refused, "undone_at": change.undone_at, "restored": restored,
        "undo_skipped": change.undo_skipped,
    }  # fmt: skip
