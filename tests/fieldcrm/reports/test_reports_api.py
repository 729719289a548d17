"""/api/v1/reports through HTTP: numbers and scope."""

import datetime as dt

import pytest
from django.utils import timezone

from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.visits.models import Visit
from tests.factories import make_account

UTC = dt.timezone.utc


@pytest.fixture
def shops(world):
    now = timezone.now()
    return {
        "a1": make_account("A1", lng=1.02, lat=42.02, visit_frequency_days=7,
                           last_visited_at=now - dt.timedelta(days=2)),
        "a2": make_account("A2", lng=1.05, lat=42.05, visit_frequency_days=7),
        "a3": make_account("A3 no cadence", lng=1.06, lat=42.06),
        "b1": make_account("B1", lng=1.15, lat=42.05, visit_frequency_days=7,
                           last_visited_at=now - dt.timedelta(days=10)),
        "s1": make_account("S1", lng=1.05, lat=41.05, visit_frequency_days=30,
                           last_visited_at=now - dt.timedelta(days=1)),
    }  # fmt: skip


def done(account, rep, day, hour=10):
    return Visit.objects.create(
        account=account,
        rep=rep,
        status="done",
        completed_at=dt.datetime(2026, 3, day, hour, tzinfo=UTC),
    )


@pytest.fixture
def visits(world, shops):
    done(shops["a1"], world.rep1, 2)
    done(shops["a2"], world.rep1, 2, 15)
    done(shops["a1"], world.rep1, 4)
    done(shops["b1"], world.rep2, 3)
    done(shops["s1"], world.rep3, 2)
    done(shops["a1"], world.rep1, 12)
    Visit.objects.create(account=shops["a1"], rep=world.rep1, scheduled_on=dt.date(2026, 3, 2))


def rows(response, *keys):
    assert response.status_code == 200, response.content
    return [tuple(r[k] for k in keys) for r in response.json()["rows"]]


def test_visits_per_rep_per_day_for_a_manager(as_user, world, visits):
    got = rows(
        as_user("manager").get("reports/visits?date_to=2026-03-08"),
        "period_start",
        "rep_id",
        "count",
    )
    assert got == [("2026-03-02", world.rep1.pk, 2), ("2026-03-03", world.rep2.pk, 1),
                   ("2026-03-04", world.rep1.pk, 1)]  # fmt: skip


def test_visits_per_rep_per_week_and_range(as_user, world, visits):
    manager = as_user("manager")
    weekly = rows(manager.get("reports/visits?period=week"), "period_start", "rep_id", "count")
    assert weekly == [("2026-03-02", world.rep1.pk, 3), ("2026-03-02", world.rep2.pk, 1),
                      ("2026-03-09", world.rep1.pk, 1)]  # fmt: skip
    ranged = manager.get("reports/visits?date_from=2026-03-03&date_to=2026-03-04")
    assert rows(ranged, "period_start", "count") == [("2026-03-03", 1), ("2026-03-04", 1)]


def test_planned_versus_done_counts_the_scheduled_visits_and_those_of_them_done(
    as_user, world, shops
):
    day = dt.date(2026, 3, 2)
    for account, status in [("a1", "done"), ("a2", "planned"), ("a3", "cancelled")]:
        Visit.objects.create(
            account=shops[account], rep=world.rep1, scheduled_on=day, status=status,
            completed_at=dt.datetime(2026, 3, 2, 11, tzinfo=UTC) if status == "done" else None,
        )  # fmt: skip
    done(shops["a2"], world.rep1, 2)  # an unplanned visit: done, not planned
    done(shops["b1"], world.rep2, 3)  # no plan at all that day
    got = rows(
        as_user("manager").get("reports/visits?date_to=2026-03-08"),
        "period_start", "rep_id", "count", "planned", "planned_done",
    )  # fmt: skip
    # The cancelled stop is not counted as planned; the unplanned visit counts as done only.
    assert got == [("2026-03-02", world.rep1.pk, 2, 2, 1), ("2026-03-03", world.rep2.pk, 1, 0, 0)]
    weekly = rows(as_user("manager").get("reports/visits?period=week"), "planned", "planned_done")
    assert weekly == [(2, 1), (0, 0)]


def test_visits_report_scope(as_user, world, visits):
    assert {r[0] for r in rows(as_user("rep1").get("reports/visits"), "rep_id")} == {world.rep1.pk}
    assert rows(as_user("rep2").get(f"reports/visits?rep={world.rep1.pk}"), "rep_id") == []
    admin = {r[0] for r in rows(as_user("admin").get("reports/visits"), "rep_id")}
    assert admin == {world.rep1.pk, world.rep2.pk, world.rep3.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [("period=month", "period"), ("date_from=2026-03-05&date_to=2026-03-01", "date_to"),
     ("date_from=soon", "date_from"), ("colour=red", "colour")],
)  # fmt: skip
def test_bad_report_query_is_422_naming_the_field(as_user, world, query, field):
    response = as_user("manager").get(f"reports/visits?{query}")
    assert response.status_code == 422, response.content
    assert field in str(response.json()["detail"])


def test_coverage_per_territory_is_scoped(as_user, world, shops):
    manager = rows(
        as_user("manager").get("reports/coverage"), "name", "accounts", "covered", "share"
    )
    assert manager == [("A", 2, 1, 0.5), ("B", 1, 0, 0.0)]
    assert rows(as_user("rep1").get("reports/coverage"), "name") == [("A",)]
    assert len(rows(as_user("admin").get("reports/coverage"), "name")) == 3


def test_coverage_per_rep_is_scoped(as_user, world, shops):
    manager = rows(as_user("manager").get("reports/coverage?by=rep"), "id", "accounts", "covered")
    assert manager == [(world.rep1.pk, 2, 1), (world.rep2.pk, 1, 0)]
    assert rows(as_user("rep3").get("reports/coverage?by=rep"), "id", "share") == [
        (world.rep3.pk, 1.0)
    ]


def test_pipeline_report_sums_and_weights_visible_deals(as_user, world, shops):
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    new = Stage.objects.create(pipeline=pipeline, name="New", position=0, probability=20)
    won = Stage.objects.create(
        pipeline=pipeline, name="Won", position=1, probability=100, outcome="won"
    )
    for account, stage, amount in [
        ("a1", new, 100),
        ("a1", won, 40),
        ("b1", new, 1000),
        ("s1", new, 7),
    ]:
        Deal.objects.create(
            account=shops[account], name="D", pipeline=pipeline, stage=stage, amount=amount
        )

    def stages(persona):
        response = as_user(persona).get(f"reports/pipeline?pipeline={pipeline.pk}")
        assert response.status_code == 200, response.content
        board = response.json()["pipelines"][0]
        return [
            (
                s["name"],
                s["count"],
                sum(float(t["amount"]) for t in s["totals"]),
                sum(float(t["weighted"]) for t in s["totals"]),
            )  # one currency here: EUR
            for s in board["stages"]
        ]

    assert stages("rep1") == [("New", 1, 100.0, 20.0), ("Won", 1, 40.0, 40.0)]
    assert stages("manager") == [("New", 2, 1100.0, 220.0), ("Won", 1, 40.0, 40.0)]
    assert stages("admin")[0] == ("New", 3, 1107.0, 221.4)
