"""Which travel times a plan uses: the configured provider, a per-job choice, OSRM by settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fieldcrm.plans import planning
from fieldcrm.plans.models import PlanJob
from routing import GreatCircleProvider, OsrmProvider
from tests.fieldcrm.plans.conftest import generate

ROOT = Path(__file__).resolve().parents[3]


def test_the_default_provider_is_great_circle(world):
    assert isinstance(planning.provider_for(world.north), GreatCircleProvider)


def test_osrm_is_selected_by_settings(world, settings):
    settings.FIELDCRM_ROUTING_PROVIDER = "osrm"
    settings.FIELDCRM_OSRM_URL = "http://osrm.invalid:5000"
    provider = planning.provider_for(world.north)
    assert isinstance(provider, OsrmProvider)


def test_osrm_without_a_server_is_refused_naming_the_field(as_user, world, plannable, tomorrow):
    response = generate(as_user("planner"), world, tomorrow, provider="osrm")
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == "provider"
    assert not PlanJob.objects.exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FIELDCRM_ROUTING_PROVIDER": "teleport"}, "must be one of"),
        ({"FIELDCRM_ROUTING_PROVIDER": "osrm", "FIELDCRM_OSRM_URL": ""}, "needs FIELDCRM_OSRM_URL"),
    ],
)
def test_a_bad_provider_setting_stops_the_app_at_start(env, message):
    code = "import django; django.setup()"
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "fieldcrm.settings", **env},
    )  # fmt: skip
    assert run.returncode != 0 and message in run.stderr


def test_a_job_plans_on_the_osrm_server_the_settings_name(
    as_user, world, plannable, tomorrow, settings
):
    from tests.routing.osrm_standin import osrm_standin

    log: list[str] = []
    with osrm_standin(log=log) as url:
        settings.FIELDCRM_ROUTING_PROVIDER = "osrm"
        settings.FIELDCRM_OSRM_URL = url
        response = generate(as_user("planner"), world, tomorrow)
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "done" and job["result"]["provider"] == "osrm"
    assert job["result"]["visits"] == 6
    assert any(path.startswith("/table/v1/") for path in log), log
