"""The Content-Security-Policy (issue 15 item 1): on every page, /admin/ and /api/docs
included; no inline script allowed; the map frames' inline scripts carry the request's nonce;
the tile server may serve images (and the service worker may fetch from it). The browser walk
that proves pages still work under it is tests/browser/test_xss_sweep.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from fieldcrm.core.csp import tile_source
from tests.fieldcrm.plans.conftest import generate, plannable  # noqa: F401 (a fixture)

SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = (part.strip().split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


PAGES = [
    (None, "/"),
    (None, "/login/"),
    (None, "/api/docs"),
    (None, "/admin/login/"),
    (None, "/serviceworker.js"),
    (None, "/app/precache.js"),
    ("rep1", "/app/"),
    ("manager", "/manager/"),
    ("manager", "/manager/map"),
    ("planner", "/planner/"),
    ("admin", "/admin/"),
    ("admin", "/admin/accounts/account/add/"),
]


@pytest.mark.parametrize(("persona", "path"), PAGES)
def test_every_page_sends_a_policy_that_runs_no_inline_script(world, persona, path):
    response = client_for(persona and getattr(world, persona)).get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]  # no nonce asked for: none offered
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("persona", "path"), [p for p in PAGES if not p[1].endswith(".js")], ids=lambda v: str(v)
)
def test_our_pages_hold_no_inline_script_or_handler(world, persona, path):
    html = client_for(persona and getattr(world, persona)).get(path).content.decode()
    for attrs in SCRIPT.findall(html):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)


def _map_pages(world, as_user):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    generate(as_user("planner"), world, tomorrow)
    return [
        client_for(world.manager).get("/manager/map/frame"),
        client_for(world.planner).get(f"/planner/map?region={world.north.pk}&date={tomorrow}"),
    ]


@pytest.mark.usefixtures("plannable")
def test_map_frames_inline_scripts_carry_the_nonce_of_their_policy(world, as_user):
    for response in _map_pages(world, as_user):
        assert response.status_code == 200
        nonces = [v for v in directives(response)["script-src"] if v.startswith("'nonce-")]
        assert len(nonces) == 1
        nonce = nonces[0][len("'nonce-") : -1]
        html = response.content.decode()
        inline = [attrs for attrs in SCRIPT.findall(html) if "src=" not in attrs]
        assert len(inline) >= 2
        assert all(attrs == f' nonce="{nonce}"' for attrs in inline), inline


@pytest.mark.usefixtures("plannable")
def test_map_frames_may_be_framed_by_our_pages_only(world, as_user):
    for response in _map_pages(world, as_user):
        assert directives(response)["frame-ancestors"] == ["'self'"]
        assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert client_for(world.manager).get("/manager/map")["X-Frame-Options"] == "DENY"


def test_each_request_gets_its_own_nonce(world):
    client = client_for(world.manager)
    first, second = (directives(client.get("/manager/map/frame"))["script-src"] for _ in range(2))
    assert first != second


def test_tile_server_may_serve_images_and_the_worker_may_fetch_from_it(world, settings):
    settings.FIELDCRM_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    shell = directives(client_for(world.rep1).get("/app/"))
    assert "https://*.tile.example.org" in shell["img-src"]
    assert shell["connect-src"] == ["'self'"]  # the page itself talks to us only
    worker = directives(Client().get("/serviceworker.js"))
    assert worker["connect-src"] == ["'self'", "https://*.tile.example.org"]


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://tiles.local:8080/{z}/{x}/{y}.png", "http://tiles.local:8080"),
        ("/tiles/{z}/{x}/{y}.png", None),
        ("", None),
    ],
)
def test_tile_source_is_the_tile_servers_origin(url, source):
    assert tile_source(url) == source
