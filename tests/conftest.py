"""Shared personas matching the demo logins: two regions, reps in distinct territories.

Region North holds territory A (rep1) and B (rep2), side by side with a shared border at
lng 1.1; region South holds territory S (rep3). The manager and the planner work in North.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User
from tests.factories import make_territory, square


@dataclass
class World:
    admin: User
    manager: User
    planner: User
    rep1: User
    rep2: User
    rep3: User
    north: Region
    south: Region
    territory_a: Territory
    territory_b: Territory
    territory_s: Territory


def _user(username: str, role: str) -> User:
    user = User(
        username=username, role=role, is_staff=role == "admin", is_superuser=role == "admin"
    )
    user.set_password("pw-" + username)
    user.save()
    return user


@pytest.fixture
def world(db) -> World:
    return make_world()


def make_world() -> World:
    """The shared personas (the ``world`` fixture's; a module-scoped fixture's too)."""
    admin, manager, planner = (
        _user("admin", "admin"),
        _user("manager", "manager"),
        _user("planner", "planner"),
    )
    rep1, rep2, rep3 = _user("rep1", "rep"), _user("rep2", "rep"), _user("rep3", "rep")
    north = Region.objects.create(
        name="North", boundary=square(1.0, 42.0, 1.2, 42.1), manager=manager
    )
    south = Region.objects.create(name="South", boundary=square(1.0, 41.0, 1.2, 41.1))
    manager.regions.add(north)
    planner.regions.add(north)
    a = make_territory("A", north, (1.0, 42.0, 1.1, 42.1), [rep1])
    b = make_territory("B", north, (1.1, 42.0, 1.2, 42.1), [rep2])
    s = make_territory("S", south, (1.0, 41.0, 1.2, 41.1), [rep3])
    return World(admin, manager, planner, rep1, rep2, rep3, north, south, a, b, s)


# Tests that never open the suite's database: pure-Python packages (routing/ and maps/ may not
# import Django at all) and checks of the source tree, the catalogs and the compose file (that
# one runs `check --deploy` on its own SpatiaLite file). Run on PostGIS they would repeat the
# same work for nothing.
DATABASE_FREE = (
    "tests/routing/", "tests/maps/", "tests/test_layers.py", "tests/test_code_map.py",
    "tests/test_harness_rules.py", "tests/test_catalogs.py", "tests/test_settings_documented.py",
    "tests/deploy/test_docker_compose.py", "tests/fieldcrm/geocoding/test_geocoder.py",
)  # fmt: skip
DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "world", "django_db_setup"}


def _database_free(item) -> bool:
    path = item.path.relative_to(Path(__file__).resolve().parent.parent).as_posix()
    if not path.startswith(DATABASE_FREE):
        return False
    used = DATABASE_FIXTURES & set(item.fixturenames)
    if used or item.get_closest_marker("django_db"):
        raise pytest.UsageError(f"{item.nodeid} uses the database ({used}): not DATABASE_FREE")
    return True


def pytest_collection_modifyitems(config, items):
    """Browser walks run on one database, SpatiaLite (the embedded default), unless the
    database is what they test (`@pytest.mark.both_databases`); tests that never open the
    database run once. On PostGIS both are deselected: `make test` stays short."""
    if os.environ.get("FIELDCRM_TEST_BACKEND") != "postgis":
        return
    keep, drop = [], []
    for item in items:
        once = item.get_closest_marker("browser") and not item.get_closest_marker("both_databases")
        (drop if once or _database_free(item) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_logreport(report):
    """`make test` (tests/suites.py) reads the failed tests' ids from this file to run them
    once more alone; unset, nothing is written."""
    path = os.environ.get("FIELDCRM_FAILED_FILE")
    if path and report.failed:
        with Path(path).open("a", encoding="utf-8") as out:
            out.write(report.nodeid + "\n")


def pytest_configure(config):
    from django.conf import settings

    # PBKDF2 at production strength costs ~0.3 s per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class ApiClient:
    """The Django test client speaking JSON to /api/v1 as one persona."""

    def __init__(self, client, user=None):
        self.client = client
        if user is not None:
            client.force_login(user)

    def _send(self, method, path, body=None, **kw):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        if body is not None:
            import json

            kw.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(url, **kw)

    def get(self, path, **kw):
        return self._send("get", path, **kw)

    def post(self, path, body=None, **kw):
        return self._send("post", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self._send("patch", path, body, **kw)

    def delete(self, path, **kw):
        return self._send("delete", path, **kw)


@pytest.fixture
def as_user(world):
    """``as_user("rep1").get("accounts")``: a fresh client per persona."""
    from django.test import Client

    def make(persona: str | None) -> ApiClient:
        return ApiClient(Client(), None if persona is None else getattr(world, persona))

    return make


OSM_EXTRACTS = [Path(__file__).resolve().parent.parent / "fieldcrm/data/osm" / name
                for name in ("andorra.osm.pbf", "helsinki_centre.osm.pbf")]  # fmt: skip


@pytest.fixture(scope="session")
def geocoder_file(tmp_path_factory) -> Path:
    """The embedded geocoder's address index of the committed extracts, built once per run
    (about 2 s), so tests never depend on what `make setup` left in var/."""
    from fieldcrm.geocoding.index import geocoder_build

    path = tmp_path_factory.mktemp("geocoder") / "geocoder.sqlite"
    geocoder_build(sources=OSM_EXTRACTS, output=path)
    return path


@pytest.fixture(autouse=True)
def _no_geocoder_unless_asked(settings):
    """Tests of other things geocode nothing; `embedded_geocoder` (or the leads' stub of an
    external one) turns a geocoder on."""
    settings.FIELDCRM_GEOCODER = "off"


@pytest.fixture
def embedded_geocoder(settings, geocoder_file) -> Path:
    settings.FIELDCRM_GEOCODER = "embedded"
    settings.FIELDCRM_GEOCODER_FILE = geocoder_file
    return geocoder_file


@pytest.fixture(autouse=True)
def _no_scheduled_backups(settings):
    """A test run is no installation to back up: only the schedule's own tests turn it on."""
    settings.FIELDCRM_BACKUP_AT = None
