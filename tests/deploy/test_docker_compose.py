"""Docker does not run here, so the compose file is checked against the code it starts."""

import importlib
import os
import re
from pathlib import Path

import environ
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (ROOT / "fieldcrm" / "settings.py").read_text()


def test_compose_runs_postgis_web_worker_and_redis():
    services = COMPOSE["services"]
    assert {"postgis", "postgis-replica", "web", "proxy", "worker", "redis"} <= set(services)
    assert services["postgis"]["image"].startswith("postgis/postgis:")
    assert services["web"]["build"] == services["worker"]["build"] == "."
    assert (ROOT / "Dockerfile").exists()


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_every_app_variable_is_one_the_settings_read(service):
    env = COMPOSE["services"][service]["environment"]
    read = set(re.findall(r'"((?:FIELDCRM_|DATABASE_URL)[A-Z_]*)"', SETTINGS_SOURCE))
    assert set(env) <= read, set(env) - read
    assert {"DATABASE_URL", "FIELDCRM_SECRET_KEY", "FIELDCRM_CELERY_BROKER_URL"} <= set(env)


def test_database_url_names_the_postgis_service_and_its_credentials():
    url = environ.Env.db_url_config(COMPOSE["services"]["web"]["environment"]["DATABASE_URL"])
    assert url["ENGINE"] == "django.contrib.gis.db.backends.postgis"
    db = COMPOSE["services"]["postgis"]["environment"]
    assert (url["HOST"], url["NAME"], url["USER"], url["PASSWORD"]) == (
        "postgis",
        db["POSTGRES_DB"],
        db["POSTGRES_USER"],
        db["POSTGRES_PASSWORD"],
    )


def test_broker_and_cache_point_at_the_redis_service():
    env = COMPOSE["services"]["worker"]["environment"]
    assert env["FIELDCRM_CELERY_BROKER_URL"].startswith("redis://redis:")
    assert env["FIELDCRM_REDIS_URL"].startswith("redis://redis:")


def test_web_command_starts_gunicorn_on_our_wsgi_application():
    command = COMPOSE["services"]["web"]["command"]
    target = re.search(r"gunicorn (\S+):(\w+)", command)
    assert target, command
    module = importlib.import_module(target.group(1))
    assert callable(getattr(module, target.group(2)))


def test_migrations_run_once_before_any_web_process_or_worker():
    services = COMPOSE["services"]
    assert "manage.py migrate" in services["migrate"]["command"]
    assert "migrate" not in services["web"]["command"]  # N processes never race it
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["environment"] == services["migrate"]["environment"]


def test_several_stateless_web_processes_behind_the_proxy():
    services = COMPOSE["services"]
    web, proxy = services["web"], services["proxy"]
    replicas = re.fullmatch(r"\$\{\w+:-(\d+)\}", str(web["deploy"]["replicas"]))
    assert replicas and int(replicas.group(1)) >= 2, web["deploy"]
    assert "ports" not in web  # reached through the proxy only
    assert proxy["ports"] == ["127.0.0.1:8000:80"]
    # Stateless: sessions, cache and throttle counts in Redis, not in a process.
    assert web["environment"]["FIELDCRM_REDIS_URL"].startswith("redis://redis:")
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    mounted = [v.split(":")[0] for v in proxy["volumes"]]
    assert "./deploy/nginx.conf" in mounted
    bind_port = re.search(r"--bind 0\.0\.0\.0:(\d+)", web["command"]).group(1)
    assert re.search(rf"server web:{bind_port}\b", conf), conf
    # The proxy overwrites the scheme header (FIELDCRM_TLS_PROXY trusts only such a proxy).
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf


def test_pulls_read_a_streaming_replica_of_the_primary():
    services = COMPOSE["services"]
    env = services["web"]["environment"]
    primary = environ.Env.db_url_config(env["DATABASE_URL"])
    replica = environ.Env.db_url_config(env["FIELDCRM_DATABASE_REPLICA_URL"])
    assert replica["ENGINE"] == primary["ENGINE"]
    assert replica["HOST"] == "postgis-replica"
    assert [replica[k] for k in ("NAME", "USER", "PASSWORD")] == [
        primary[k] for k in ("NAME", "USER", "PASSWORD")
    ]
    standby = services["postgis-replica"]
    assert standby["image"] == services["postgis"]["image"]
    assert standby["environment"]["PRIMARY_HOST"] == primary["HOST"]
    script = (ROOT / "deploy" / "postgres" / "replica-entrypoint.sh").read_text()
    assert "pg_basebackup" in script and " -R " in script and "hot_standby=on" in script
    # The primary lets the replica stream its WAL.
    assert "wal_level=replica" in services["postgis"]["command"]
    init = (ROOT / "deploy" / "postgres" / "primary-init.sh").read_text()
    assert "replication" in init and "pg_hba.conf" in init


def test_the_primary_archives_its_wal_into_the_backups_volume_with_the_tested_scripts():
    # tests/deploy/test_pitr.py runs these scripts on a real cluster.
    postgis = COMPOSE["services"]["postgis"]
    assert "archive_mode=on" in postgis["command"]
    archive = re.search(r'"archive_command=(\S+) %p %f (\S+)"', postgis["command"])
    assert archive, postgis["command"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in postgis["volumes"]}
    assert mounts[f"/usr/local/bin/{archive.group(1)}"] == "./deploy/postgres/archive-wal.sh"
    for tool in ("base-backup", "restore-to", "seal"):
        assert mounts[f"/usr/local/bin/fieldcrm-{tool}"] == f"./deploy/postgres/{tool}.sh"
    backups = COMPOSE["services"]["worker"]["environment"]["FIELDCRM_BACKUP_DIR"]
    assert archive.group(2).startswith(backups + "/") and mounts[backups] == "backups"
    assert (
        archive.group(2) in postgis["entrypoint"]
        and "docker-entrypoint.sh" in postgis["entrypoint"]
    )  # made postgres's before the image's own entrypoint starts the server
    # Base backups and segments are sealed with the backups' passphrase (seal.sh).
    assert "FIELDCRM_BACKUP_PASSPHRASE" in postgis["environment"]
    for script in ("archive-wal.sh", "base-backup.sh", "restore-to.sh", "seal.sh"):
        assert os.access(ROOT / "deploy" / "postgres" / script, os.X_OK), script


def test_worker_command_starts_celery_on_our_app():
    command = COMPOSE["services"]["worker"]["command"]
    target = re.search(r"--app (\S+)", command)
    module = importlib.import_module(target.group(1))
    assert module.app.main == "fieldcrm"


def test_workers_write_scheduled_backups_to_their_own_volume_with_pg_dump_at_hand():
    env = COMPOSE["services"]["worker"]["environment"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in COMPOSE["services"]["worker"]["volumes"]}
    assert mounts[env["FIELDCRM_BACKUP_DIR"]] in COMPOSE["volumes"]
    assert env["FIELDCRM_BACKUP_PASSPHRASE"].startswith("${FIELDCRM_BACKUP_PASSPHRASE:?")
    # pg_dump refuses a newer server: the client is the PostGIS image's major version.
    major = re.search(r"postgis/postgis:(\d+)-", COMPOSE["services"]["postgis"]["image"])
    assert f"postgresql-client-{major.group(1)}" in (ROOT / "Dockerfile").read_text()


def test_beat_runs_the_schedule_of_jobs_the_workers_know():
    from django.conf import settings

    from fieldcrm.celery import app

    beat = COMPOSE["services"]["beat"]
    assert re.search(r"celery --app fieldcrm\.celery beat\b", beat["command"])
    assert (
        beat["build"] == "." and beat["environment"] == COMPOSE["services"]["worker"]["environment"]
    )
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled and scheduled <= set(app.tasks), scheduled - set(app.tasks)


def _compose_env(**overrides: str) -> dict[str, str]:
    """The web service's environment with compose's ${VAR:-default} defaults filled in."""

    env = {}
    for key, value in COMPOSE["services"]["web"]["environment"].items():
        value = str(value)
        match = re.fullmatch(r"\$\{(\w+):?[-?]([^}]*)\}", value)
        env[key] = match.group(2) if match else value
    env["FIELDCRM_SECRET_KEY"] = "k" * 40 + "-not-a-real-key-but-long-enough-0123456789"
    env["DATABASE_URL"] = "spatialite:///" + str(ROOT / "var" / "check-deploy.db")
    env["FIELDCRM_DATABASE_REPLICA_URL"] = ""  # a replica needs a postgis:// primary
    # Not the test run's own switches (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    return {**inherited, **env, "DJANGO_SETTINGS_MODULE": "fieldcrm.settings", **overrides}


@pytest.mark.parametrize(
    "env",
    [
        {"FIELDCRM_PRODUCTION": "1", "FIELDCRM_TLS": "1"},
        {"FIELDCRM_TLS": "1", "FIELDCRM_TLS_PROXY": "1"},
    ],
    ids=["production", "compose-behind-a-tls-proxy"],
)
def test_production_settings_pass_check_deploy_without_a_warning(env):
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, env=_compose_env(**env),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout


def test_check_deploy_warns_when_scheduled_backups_have_no_passphrase():
    import subprocess
    import sys

    env = _compose_env(FIELDCRM_PRODUCTION="1", FIELDCRM_TLS="1", FIELDCRM_BACKUP_PASSPHRASE="")
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert run.returncode == 1 and "fieldcrm.W001" in run.stderr + run.stdout
