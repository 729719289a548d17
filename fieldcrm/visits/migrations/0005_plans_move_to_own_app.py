"""RoutePlan, RouteStop and PlanJob moved to the plans app: state only, the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0004_planjob"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="routeplan",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="routeplan",
                    name="region",
                ),
                migrations.RemoveField(
                    model_name="routeplan",
                    name="rep",
                ),
                migrations.RemoveField(
                    model_name="routestop",
                    name="plan",
                ),
                migrations.RemoveField(
                    model_name="routestop",
                    name="account",
                ),
                migrations.RemoveField(
                    model_name="routestop",
                    name="visit",
                ),
                migrations.DeleteModel(
                    name="PlanJob",
                ),
                migrations.DeleteModel(
                    name="RoutePlan",
                ),
                migrations.DeleteModel(
                    name="RouteStop",
                ),
            ],
            database_operations=[],
        ),
    ]
