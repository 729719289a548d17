"""manage.py plan_routes: clear errors for bad input; the job runner path plans the region."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from fieldcrm.plans.models import PlanJob, RoutePlan
from fieldcrm.plans.services import plan_job_claim


def test_unknown_region_and_past_date_are_command_errors(world, plannable, tomorrow):
    with pytest.raises(CommandError, match="No region 'Atlantis'; regions: North, South"):
        call_command("plan_routes", "--region", "Atlantis", "--date", str(tomorrow))
    with pytest.raises(CommandError, match="past"):
        past = tomorrow - dt.timedelta(days=3)
        call_command("plan_routes", "--region", "north", "--date", str(past))


def test_the_job_runner_plans_the_claimed_job(world, plannable, tomorrow):
    job = plan_job_claim(region=world.north, date=tomorrow, time_limit_s=0.5)
    call_command("plan_routes", "--run-job", str(job.pk))
    job.refresh_from_db()
    assert job.status == PlanJob.Status.DONE
    assert RoutePlan.objects.filter(date=tomorrow).count() == 2
