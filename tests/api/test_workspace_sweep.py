"""Every page and action of the workspace (/crm/) × every role × a record inside, outside and
missing. Generated from the workspace's URL patterns, so a new page cannot slip past: a path
parameter this file has no record for fails the sweep. Outside answers exactly as missing (the
styled 404), never a server error, and no page shows a record outside the caller's scope."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern

from fieldcrm.crm.urls import urlpatterns
from tests.api.test_scope_sweep import MARKER, ROLES, SHARED, records  # noqa: F401  (a fixture)


def _patterns():
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        yield "/crm/" + str(pattern.pattern)


PATHS = sorted(_patterns())


def _url(path: str, params: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(params[m.group(1)]), path)


@pytest.mark.parametrize("path", PATHS)
def test_every_workspace_page_hides_outside_records_from_every_role(world, records, path):  # noqa: F811
    names = re.findall(r"<(?:\w+:)?(\w+)>", path)
    unknown = set(names) - set(records["in"])
    assert not unknown, f"the sweep has no records for {unknown}: add them to `records`"
    # Each page answers one method (the other is a 405 for every record alike): find it once.
    probe = Client()
    probe.force_login(world.admin)
    post_only = probe.get(_url(path, records["in"])).status_code == 405
    for role in ROLES:
        client = Client()
        client.force_login(getattr(world, role))
        for method in (client.post,) if post_only else (client.get,):
            inside = method(_url(path, records["in"]))
            assert inside.status_code < 500, (role, path, inside.status_code)
            if role != "admin":
                assert MARKER not in inside.content.decode(), (role, path)
            if not names:
                continue
            missing = method(_url(path, records["missing"]))
            # A page of an area the role may not open refuses alike, whatever the record.
            refused = inside.status_code == 403 == missing.status_code
            assert missing.status_code in (404, 405) or refused, (role, path, missing.status_code)
            if role == "admin" or not set(names) - SHARED:
                continue  # configuration (the catalogue): every role's, no outside
            outside = method(_url(path, records["out"]))
            assert outside.status_code == missing.status_code, (role, path, outside.status_code)
            assert MARKER not in outside.content.decode(), (role, path)


@pytest.mark.parametrize("path", PATHS)
def test_every_workspace_page_wants_a_login(records, path):  # noqa: F811
    response = Client().get(_url(path, records["in"]), follow=False)
    assert response.status_code in (302, 405), (path, response.status_code)
    if response.status_code == 302 and path != "/crm/":
        assert response["Location"].startswith("/login/")
