"""Field-level audit for the records the office cares about (accounts, contacts, deals).

A model opts in with ``Audited`` and its ``AUDITED`` field names; the values it was loaded with
are kept, and ``audit_write`` (called by the services after each save, with the person acting)
writes one ``FieldChange`` per field that differs. Written by the services rather than in
``save()``: only they know who acts (a person, the system, an import), and bulk updates that
bypass them record their own history (fieldcrm/bulk).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Collection
from typing import Any, ClassVar, Self

from django.contrib.gis.geos import GEOSGeometry, Point

from fieldcrm.audit.models import CREATED, FieldChange


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field's value, short enough to show."""
    if isinstance(value, Point):
        return [round(value.x, 6), round(value.y, 6)]
    if isinstance(value, GEOSGeometry):
        return value.wkt
    if isinstance(value, dt.datetime | dt.date | dt.time | decimal.Decimal | uuid.UUID):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return value


class Audited:
    """Mixin, listed before the model's base: keeps the audited fields' values as loaded, for
    ``audit_write`` to compare. A plain class, not an abstract model: an abstract model first
    among the bases would take over the manager inheritance (SyncedModel's base manager)."""

    AUDITED: ClassVar[tuple[str, ...]] = ()
    AUDIT_TYPE: ClassVar[str] = ""

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any]) -> Self:
        obj = super().from_db(db, field_names, values)  # type: ignore[misc]
        obj._audit_loaded = obj.audit_values()
        return obj

    def audit_values(self) -> dict[str, Any]:
        # The model's options (this is a mixin of models).
        meta: Any = self._meta  # type: ignore[attr-defined]
        # A field not loaded (``only()``/``defer()``) is left out: reading it would load it, and
        # a row read that way is compared on the fields it has. An id for a foreign key: the
        # audit names what was chosen, as it was then.
        deferred = self.get_deferred_fields()  # type: ignore[attr-defined]
        return {
            name: _plain(getattr(self, field.attname))
            for name in self.AUDITED
            if (field := meta.get_field(name)).attname not in deferred
        }


def audit_write(*, actor: Any, obj: Audited, created: bool = False) -> list[FieldChange]:
    """Record what changed in ``obj`` since it was loaded (or that it was created)."""
    now_values = obj.audit_values()
    before: dict[str, Any] | None = getattr(obj, "_audit_loaded", None)
    actor_id = getattr(actor, "pk", None)
    kind, pk = obj.AUDIT_TYPE, str(obj.pk)  # type: ignore[attr-defined]
    if created or before is None:
        rows = [FieldChange(record_type=kind, record_id=pk, field=CREATED, actor_id=actor_id)]
    else:
        rows = [
            FieldChange(record_type=kind, record_id=pk, field=name, old=before.get(name),
                        new=value, actor_id=actor_id)
            for name, value in now_values.items() if name in before and before[name] != value
        ]  # fmt: skip
    FieldChange.objects.bulk_create(rows)
    obj._audit_loaded = now_values  # type: ignore[attr-defined]
    return rows
