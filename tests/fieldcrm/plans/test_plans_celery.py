"""One real Celery run: a redis-server on a free port and an in-process worker, no mocks."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from fieldcrm.plans.models import PlanJob, RoutePlan
from tests.fieldcrm.plans.conftest import generate
from tests.harness.redis import redis_server


@pytest.fixture
def redis_url():
    with redis_server() as url:
        yield url


@pytest.mark.django_db(transaction=True)
def test_generate_runs_on_a_celery_worker_with_progress(
    as_user, world, plannable, tomorrow, redis_url, settings
):
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    from fieldcrm.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(broker_url=redis_url, result_backend=None, task_always_eager=False,
                    broker_connection_retry_on_startup=True)  # fmt: skip
    finished = threading.Event()
    task_postrun.connect(lambda **_kw: finished.set(), weak=False, dispatch_uid="plans-test")
    planner = as_user("planner")  # log in before the worker shares the database
    # SQLite's shared in-memory test database locks whole tables across connections, so
    # there the test waits for the worker's signal; on PostGIS it polls the API meanwhile.
    poll = connection.vendor == "postgresql"
    progress = []
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            response = generate(planner, world, tomorrow, time_limit_s=2)
            assert response.status_code == 202
            assert response.json()["status"] == "queued"
            job_id = response.json()["id"]
            deadline = time.monotonic() + 60
            while not finished.wait(0.2) and time.monotonic() < deadline:
                if poll:
                    progress.append(planner.get(f"plans/jobs/{job_id}").json()["progress"])
    finally:
        task_postrun.disconnect(dispatch_uid="plans-test")
        app.conf.update(task_always_eager=True)
    body = planner.get(f"plans/jobs/{job_id}").json()
    assert body["status"] == "done", body
    assert progress == sorted(progress)
    assert body["progress"] == 100 and body["attempts"] == 1
    assert PlanJob.objects.get(pk=job_id).plans.count() == RoutePlan.objects.count() == 2
