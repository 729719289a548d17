"""Reading the audit: a record's changes, newest first, with the people and the chosen records
named as they are now. Managers and admins read it; the caller's page has already checked
that the record itself is theirs to see."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from fieldcrm.access import has_role
from fieldcrm.audit.models import CREATED, FieldChange
from fieldcrm.users.models import User

# Foreign keys shown by name: (model label, the attribute that names a row).
_NAMED = {
    "owner": ("users.User", "display_name"),
    "territory": ("territories.Territory", "name"),
    "account": ("accounts.Account", "name"),
    "pipeline": ("deals.Pipeline", "name"),
    "stage": ("deals.Stage", "name"),
}


def may_read_audit(user: User) -> bool:
    return has_role(user, User.Role.MANAGER)


def audit_history(*, actor: User, record: Any, limit: int = 50) -> list[dict[str, Any]] | None:
    """``record``'s changes (None for a caller who may not read the audit)."""
    if not may_read_audit(actor):
        return None
    rows = list(
        FieldChange.objects.filter(record_type=record.AUDIT_TYPE, record_id=str(record.pk))
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
    names = _names(rows)
    meta = record._meta
    out = []
    for row in rows:
        label = "" if row.field == CREATED else str(meta.get_field(row.field).verbose_name)
        out.append({
            "at": row.at, "actor": row.actor, "created": row.field == CREATED, "field": label,
            "old": _shown(row.field, row.old, names), "new": _shown(row.field, row.new, names),
        })  # fmt: skip
    return out


def _names(rows: list[FieldChange]) -> dict[tuple[str, str], str]:
    wanted: dict[str, set[Any]] = {}
    for row in rows:
        if row.field in _NAMED:
            wanted.setdefault(row.field, set()).update(v for v in (row.old, row.new) if v)
    names: dict[tuple[str, str], str] = {}
    for field, ids in wanted.items():
        label, attr = _NAMED[field]
        model = apps.get_model(label)
        manager = getattr(model, "all_objects", model._default_manager)
        for obj in manager.filter(pk__in=list(ids)[:200]):
            names[(field, str(obj.pk))] = str(getattr(obj, attr))
    return names


def _shown(field: str, value: Any, names: dict[tuple[str, str], str]) -> str:
    if value is None or value == "":
        return "—"
    if field in _NAMED:
        return names.get((field, str(value)), str(value))
    if field == "location" and isinstance(value, list) and len(value) == 2:
        return f"{value[1]:.5f}, {value[0]:.5f}"
    return str(value)
