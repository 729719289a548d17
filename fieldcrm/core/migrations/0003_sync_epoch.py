"""The installation's sync epoch (issue 23): one row with a random UUID, changed by a restore."""

import uuid

from django.db import migrations, models


def make_epoch(apps, schema_editor):
    apps.get_model("core", "SyncEpoch").objects.get_or_create(pk=1, defaults={"value": uuid.uuid4()})


class Migration(migrations.Migration):
    dependencies = [("core", "0002_change_seq")]

    operations = [
        migrations.CreateModel(
            name="SyncEpoch",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("value", models.UUIDField(default=uuid.uuid4)),
            ],
        ),
        migrations.RunPython(make_epoch, migrations.RunPython.noop),
    ]
