"""Two planners generating the same region and day: the database decides, not a check."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from fieldcrm.plans.models import PlanJob
from fieldcrm.plans.services import PlanJobRunning, plan_job_claim


def test_the_database_refuses_a_second_active_job_for_a_region_and_day(world, tomorrow):
    PlanJob.objects.create(region=world.north, date=tomorrow, status="running")
    PlanJob.objects.create(region=world.north, date=tomorrow, status="done")  # finished: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanJob.objects.create(region=world.north, date=tomorrow, status="queued")


@pytest.mark.django_db(transaction=True)
def test_two_planners_claiming_at_once_one_wins_and_the_other_is_told_which(
    world, plannable, tomorrow
):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (SQLite's test database is one shared memory DB)")
    barrier, results = threading.Barrier(2), []

    def claim(user):
        try:
            barrier.wait()
            results.append(("won", plan_job_claim(region=world.north, date=tomorrow,
                                                  actor=user).pk))  # fmt: skip
        except PlanJobRunning as exc:
            results.append(("told", exc.job.pk if exc.job else None))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (world.planner, world.manager)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(kind for kind, _id in results) == ["told", "won"]
    assert len({job_id for _kind, job_id in results}) == 1  # the loser is told the winner's job
    assert PlanJob.objects.count() == 1
