"""The site's own error pages (issue 14, defect 10): a refusal, a missing page, a bad request and
a server error each answer the styled page with its status, the role's navigation and a link to
the user's start page; under /api/ they stay JSON. Tests run with DEBUG off, as production."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from fieldcrm.core import views
from tests.fieldcrm.test_navigation import LANDING, assert_header, client_for, header_of


def assert_error_page(response, status: int, persona: str | None, world) -> None:
    assert not settings.DEBUG  # the handlers only answer with DEBUG off
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert [t.name for t in response.templates][:1] == ["error.html"]
    header = header_of(response)
    assert_header(header, persona, world)
    assert header.home_link is not None and header.home_link["href"] == LANDING[persona]
    assert header.home_link["text"].strip()
    assert f'<p class="error-status">{status}</p>' in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "url"),
    [("rep1", "/manager/"), ("rep1", "/manager/map"), ("rep1", "/planner/"),
     ("planner", "/manager/"), ("planner", "/manager/map")],
)  # fmt: skip
def test_a_page_the_role_may_not_open_answers_the_styled_403_with_a_way_home(world, persona, url):
    response = client_for(world, persona).get(url)
    assert_error_page(response, 403, persona, world)
    assert response.context["error_reason"]  # the refusal says which pages are whose


def test_a_rep_on_the_manager_dashboard_is_told_why_and_sent_to_the_phone_app(world):
    response = client_for(world, "rep1").get("/manager/")
    html = response.content.decode()
    assert "You may not open this page" in html
    assert "Only managers and admins open the manager pages." in html
    assert header_of(response).home_link["href"] == "/app/"


@pytest.mark.parametrize("persona", ["manager", "planner", None])
def test_an_unknown_page_answers_the_styled_404(world, persona):
    assert_error_page(client_for(world, persona).get("/nowhere"), 404, persona, world)


def test_a_region_outside_the_planners_scope_answers_the_styled_404(world):
    """planner_views raises Http404 for a region the planner does not plan."""
    response = client_for(world, "planner").get(f"/planner/?region={world.south.pk}")
    assert_error_page(response, 404, "planner", world)
    assert "South" not in response.content.decode()


def test_unknown_api_paths_stay_json(world):
    response = client_for(world, "manager").get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_bad_host_answers_the_styled_400_without_a_user(db):
    response = Client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    header = header_of(response)
    assert header.count == 1 and header.links == [] and header.home_link["href"] == "/"


def test_a_stale_csrf_token_answers_the_styled_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.manager)
    response = client.post("/logout/", {"csrfmiddlewaretoken": "stale"})
    assert_error_page(response, 403, "manager", world)
    assert "This form has expired" in response.content.decode()


def _request(world, path: str):
    request = RequestFactory().get(path)
    request.user = world.planner
    request.session = {}
    return request


def test_a_server_error_answers_the_styled_500(world):
    response = views.server_error(_request(world, "/planner/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and 'href="/planner/"' in html
    assert 'data-nav="planner"' in html


def test_a_500_page_that_cannot_draw_its_header_answers_without_it(world, monkeypatch):
    """When what failed is the database, the header (which asks it who the user is) fails too:
    the page is still answered, without the header's links."""

    def broken(request):
        raise RuntimeError("database is down")

    monkeypatch.setattr("fieldcrm.navigation.navigation_for", broken)
    response = views.server_error(_request(world, "/planner/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "data-nav" not in html
    assert 'id="error-home" href="/"' in html


def test_api_errors_stay_json(world):
    for view, status in ((views.server_error, 500), (views.permission_denied, 403)):
        response = view(_request(world, "/api/v1/plans"))
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content)["detail"]
