"""The index behind radius and nearest-neighbour queries on PostGIS (issue 3, Performance).

Django's default spatial index on ``accounts_account.location`` is a GiST index on geometry.
Distances in metres need geography, and ``ST_DWithin``/``<->`` on ``location::geography``
can only use an index built on that same expression. SpatiaLite has no expression indexes and
needs none: its R*Tree (made by Django) is named explicitly in core/geo.py, so this is a no-op
there.
"""

from django.db import migrations

INDEX = "accounts_account_location_geog_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_account "
            "USING GIST ((location::geography))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
