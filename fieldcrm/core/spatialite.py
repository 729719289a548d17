"""SpatiaLite housekeeping the migrations cannot do themselves.

When a migration rebuilds a table (SQLite's ALTER TABLE is limited, so Django copies the table),
SpatiaLite's geometry metadata comes back with the spatial index *disabled*: the R*Tree stays
but its triggers are gone and it stops following the table. Queries naming the R*Tree (see
core/geo.py) would then miss rows. After every migrate we re-create any index that a model asks
for and SpatiaLite reports as disabled.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.gis.db.models import GeometryField
from django.db import connections


def wanted_spatial_indexes() -> set[tuple[str, str]]:
    """(table, column) of every geometry field declaring a spatial index."""
    return {
        (model._meta.db_table, field.column or "")
        for model in apps.get_models()
        for field in model._meta.local_fields
        if isinstance(field, GeometryField) and field.spatial_index
    }


def disabled_spatial_indexes(using: str = "default") -> set[tuple[str, str]]:
    """Wanted indexes that SpatiaLite currently has switched off."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT f_table_name, f_geometry_column FROM geometry_columns "
            "WHERE spatial_index_enabled = 0"
        )
        disabled = {(t.lower(), c.lower()) for t, c in cursor.fetchall()}
    return {(t, c) for t, c in wanted_spatial_indexes() if (t.lower(), c.lower()) in disabled}


def repair_spatial_indexes(using: str = "default", **_: Any) -> list[tuple[str, str]]:
    """Re-create disabled spatial indexes (a post_migrate handler; no-op elsewhere)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    repaired = sorted(disabled_spatial_indexes(using))
    with connection.cursor() as cursor:
        for table, column in repaired:
            cursor.execute(f'DROP TABLE IF EXISTS "idx_{table}_{column}"')
            # CreateSpatialIndex adds the triggers and fills the R*Tree from existing rows.
            cursor.execute("SELECT CreateSpatialIndex(%s, %s)", [table, column])
    return repaired
