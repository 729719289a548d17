"""Every page and action of the workspace (/crm/, its settings under /crm/settings/ included)
× every role × a record inside, outside and missing. Generated from the workspace's URL
patterns, so a new page cannot slip past: a path parameter this file has no record for fails
the sweep. Outside answers exactly as missing (the
styled 404), never a server error, and no page shows a record outside the caller's scope."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern

from fieldcrm.attachments.urls import urlpatterns as attachment_patterns
from fieldcrm.automation.urls import urlpatterns as settings_patterns
from fieldcrm.crm.settings_urls import urlpatterns as crm_settings_patterns
from fieldcrm.crm.urls import urlpatterns
from fieldcrm.integrations.settings_urls import urlpatterns as integration_settings_patterns
from fieldcrm.integrations.urls import urlpatterns as integration_patterns
from tests.api.test_scope_sweep import MARKER, ROLES, SHARED, records  # noqa: F401  (a fixture)


def _patterns():
    for prefix, patterns in (
        ("/crm/", urlpatterns),
        ("/crm/settings/", settings_patterns),
        ("/crm/settings/", crm_settings_patterns),
        ("/crm/", integration_patterns),
        ("/crm/", attachment_patterns),  # files' downloads, a visit photo's thumbnail
        ("/crm/settings/", integration_settings_patterns),
    ):
        for pattern in patterns:
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern)


PATHS = sorted(_patterns())


def _text(response) -> str:
    """A page's body, a file's (FileResponse: the attachments' downloads) included."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode(errors="replace")


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
                assert MARKER not in _text(inside), (role, path)
            if not names:
                continue
            missing = method(_url(path, records["missing"]))
            # An area the role may not open (the settings, the catalogue) refuses every record
            # alike; the settings are the admins' alone but the web forms, a manager's too.
            web_forms = path.startswith("/crm/settings/forms") and role == "manager"
            settings_page = path.startswith("/crm/settings/") and role != "admin" and not web_forms
            assert not settings_page or inside.status_code == 403, (role, path, inside.status_code)
            refused = inside.status_code == 403 == missing.status_code
            assert missing.status_code in (404, 405) or refused, (role, path, missing.status_code)
            if role == "admin" or not set(names) - SHARED:
                continue  # configuration (the catalogue): every role's, no outside
            outside = method(_url(path, records["out"]))
            assert outside.status_code == missing.status_code, (role, path, outside.status_code)
            assert MARKER not in _text(outside), (role, path)


@pytest.mark.parametrize("path", PATHS)
def test_every_workspace_page_wants_a_login(records, path):  # noqa: F811
    response = Client().get(_url(path, records["in"]), follow=False)
    assert response.status_code in (302, 405), (path, response.status_code)
    if response.status_code == 302 and path != "/crm/":
        assert response["Location"].startswith("/login/")


# Pages whose record comes in the query string, not the path: the same property, one row each.
# Search for what both sides' records are called ("Shop North", "Shop ZZOUT", ...): an
# outside hit would show the marker (the query itself must not carry it: pages echo it).
QUERY_PAGES = [
    "/crm/accounts/?segment={segment_id}",
    "/crm/search/?q=Shop",
    "/crm/search/?q=Anna",
    "/api/v1/search?q=Deal",
]


@pytest.mark.parametrize("page", QUERY_PAGES)
def test_query_string_records_outside_answer_like_missing_ones(world, records, page):  # noqa: F811
    for role in ROLES:
        client = Client()
        client.force_login(getattr(world, role))
        inside = client.get(page.format(**records["in"]))
        assert inside.status_code == 200, (role, page, inside.status_code)
        assert "North" in inside.content.decode(), (role, page)  # the inside record is found
        if role == "admin":
            continue
        assert MARKER not in _text(inside), (role, page)
        if "{" in page:
            outside = client.get(page.format(**records["out"]))
            missing = client.get(page.format(**records["missing"]))
            assert outside.status_code == missing.status_code == 404, (role, page)
            assert MARKER not in _text(outside), (role, page)
