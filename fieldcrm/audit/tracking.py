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
        # Kept as read, not copied or converted: a list of thousands of rows (a pull, the map)
        # pays nothing; the audited values are taken from it only when a service writes the row.
        obj.__dict__["_audit_raw"] = (field_names, values)
        return obj

    def as_loaded(self, attnames: Collection[str]) -> dict[str, Any] | None:
        """The columns ``attnames`` as read from the database, unconverted (for a caller that
        skips a write when nothing it keeps changed, as the search index does); None for a row
        not read from the database. A column not loaded is left out."""
        raw = self.__dict__.get("_audit_raw")
        if raw is None:
            return None
        loaded = dict(zip(*raw, strict=True))
        return {name: loaded[name] for name in attnames if name in loaded}

    @property
    def _audit_loaded(self) -> dict[str, Any] | None:
        """The audited fields' values as loaded (None for a row not read from the database). A
        field not loaded (``only()``/``defer()``) is left out: the row is compared on the fields
        it has."""
        cached: dict[str, Any] | None = self.__dict__.get("_audit_cache")
        raw = self.__dict__.get("_audit_raw")
        if cached is None and raw is not None:
            loaded = dict(zip(*raw, strict=True))
            meta: Any = self._meta  # type: ignore[attr-defined]
            cached = {
                name: _plain(loaded[field.attname])
                for name in self.AUDITED
                if (field := meta.get_field(name)).attname in loaded
            }
            self.__dict__["_audit_cache"] = cached
        return cached

    def audit_values(self) -> dict[str, Any]:
        """The audited fields' values now (an id for a foreign key: the audit names what was
        chosen, as it was then); only the fields that were loaded, for a row read in part."""
        meta: Any = self._meta  # type: ignore[attr-defined]
        deferred = self.get_deferred_fields()  # type: ignore[attr-defined]
        return {
            name: _plain(getattr(self, field.attname))
            for name in self.AUDITED
            if (field := meta.get_field(name)).attname not in deferred
        }


def audit_write(*, actor: Any, obj: Audited, created: bool = False) -> list[FieldChange]:
    """Record what changed in ``obj`` since it was loaded (or that it was created)."""
    now_values = obj.audit_values()
    before = obj._audit_loaded
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
    obj.__dict__["_audit_cache"] = now_values  # the next write compares with this one
    return rows
