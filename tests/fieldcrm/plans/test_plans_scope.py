"""Every plans endpoint with a path id: a record outside the caller's scope answers exactly like
a missing one (same status, same bytes) for every role — the scope sweep's rule, locally."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from fieldcrm.plans.models import PlanJob, RoutePlan, RouteStop
from tests.factories import make_account

PATHS = [
    ("get", "/api/v1/plans/jobs/{job_id}"),
    ("get", "/api/v1/plans/{plan_id}"),
    ("post", "/api/v1/plans/{plan_id}/publish"),
    ("post", "/api/v1/plans/{plan_id}/unpublish"),
    ("post", "/api/v1/plans/stops/{stop_id}/pin"),
    ("post", "/api/v1/plans/stops/{stop_id}/move"),
]


def _records(world, region, rep, lng, lat, tomorrow):
    account = make_account("Shop", lng=lng, lat=lat, status="customer")
    now = timezone.now()
    plan = RoutePlan.objects.create(rep=rep, region=region, date=tomorrow)
    stop = RouteStop.objects.create(plan=plan, sequence=1, account=account, arrival_at=now,
                                    start_at=now, departure_at=now)  # fmt: skip
    job = PlanJob.objects.create(region=region, date=tomorrow, status="done")
    return {"job_id": job.pk, "plan_id": plan.pk, "stop_id": stop.pk}


@pytest.mark.parametrize("role", ["rep1", "manager", "planner"])
def test_outside_plans_jobs_and_stops_answer_like_missing_ones(world, tomorrow, role):
    _records(world, world.north, world.rep1, 1.05, 42.05, tomorrow)
    outside = _records(world, world.south, world.rep3, 1.05, 41.05, tomorrow)
    missing = dict.fromkeys(outside, 987654321)
    client = Client()
    client.force_login(getattr(world, role))
    for method, path in PATHS:
        answers = []
        for ids in (outside, missing):
            url = re.sub(r"\{(\w+)\}", lambda m, ids=ids: str(ids[m.group(1)]), path)
            body = {"pinned": True} if "pin" in path else {"plan_id": ids["plan_id"], "position": 1}
            response = getattr(client, method)(url, data=body, content_type="application/json")
            answers.append((response.status_code, response.content))
        assert answers[0] == answers[1], (role, method, path, answers)
        assert answers[0][0] in (403, 404), (role, method, path, answers)
