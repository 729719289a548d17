"""One login throttle for every login path (the API, /login/, /admin/login/), in a store every
process shares: the database, or Redis when FIELDCRM_REDIS_URL is set (issue 15 item 6)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from django.test import Client

from fieldcrm.users import throttle
from fieldcrm.users.models import LoginThrottle
from tests.harness.redis import redis_server


def _form_login(client: Client, path: str, username: str, password: str):
    return client.post(path, {"username": username, "password": password, "next": ""})


def _api_login(client: Client, username: str, password: str):
    return client.post(
        "/api/v1/auth/login", {"username": username, "password": password},
        content_type="application/json",
    )  # fmt: skip


def _logged_in(client: Client) -> bool:
    return client.get("/api/v1/auth/me").status_code == 200


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_30_wrong_passwords_then_the_right_one_stay_locked_on_the_login_pages(world, path):
    client = Client()
    for _ in range(30):
        _form_login(client, path, "admin", "wrong")
    response = _form_login(client, path, "admin", "pw-admin")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert not _logged_in(client)


def test_an_account_locked_through_the_api_is_locked_on_the_login_page_too(world):
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        assert _api_login(Client(), "rep1", "wrong").status_code == 422
    answer = _api_login(Client(), "rep1", "pw-rep1")
    assert answer.status_code == 429 and "Too many" in answer.json()["detail"]
    browser = Client()
    assert _form_login(browser, "/login/", "rep1", "pw-rep1").status_code == 429
    assert not _logged_in(browser)
    # Another account is not locked by it, from another address.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert _form_login(other, "/login/", "rep2", "pw-rep2").status_code == 302


def test_the_lock_counts_any_spelling_of_the_username(world):
    for name in ("Rep1", "REP1", " rep1", "rep1", "rEp1"):
        _api_login(Client(), name, "wrong")
    assert _api_login(Client(), "rep1", "pw-rep1").status_code == 429


def test_one_address_trying_many_accounts_is_locked(world):
    for i in range(throttle.MAX_FAILURES_PER_IP):
        _form_login(Client(), "/login/", f"nobody{i}", "wrong")
    assert _form_login(Client(), "/login/", "rep2", "pw-rep2").status_code == 429
    # Another address still gets in.
    assert (
        _form_login(Client(REMOTE_ADDR="10.0.0.9"), "/login/", "rep2", "pw-rep2").status_code == 302
    )


def test_a_right_password_before_the_lock_forgives_earlier_failures(world):
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT - 1):
        _api_login(Client(), "rep1", "wrong")
    assert _api_login(Client(), "rep1", "pw-rep1").status_code == 200
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT - 1):
        _api_login(Client(), "rep1", "wrong")
    assert _api_login(Client(), "rep1", "pw-rep1").status_code == 200


@pytest.mark.parametrize(("lang", "text"), [("vi", "Đăng nhập"), ("fa", "ورود")])
def test_the_locked_page_is_styled_and_translated(world, lang, text):
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        _form_login(client, "/login/", "rep1", "wrong")
    response = _form_login(client, "/login/", "rep1", "pw-rep1")
    html = response.content.decode()
    assert response.status_code == 429
    assert 'class="error" role="alert"' in html and text in html
    assert "Too many failed logins" not in html


def test_the_lock_lasts_its_window_then_opens(world):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        _api_login(Client(), "rep1", "wrong")
    assert _api_login(Client(), "rep1", "pw-rep1").status_code == 429
    later = timezone.now() + dt.timedelta(seconds=throttle.WINDOW_S + 1)
    with time_machine.travel(later):
        assert _api_login(Client(), "rep1", "pw-rep1").status_code == 200


@pytest.fixture
def redis_url():
    with redis_server() as url:
        yield url


def test_with_redis_configured_the_counts_live_in_redis(world, redis_url, settings):
    import redis

    settings.REDIS_URL = redis_url
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        _form_login(Client(), "/admin/login/", "admin", "wrong")
    assert _api_login(Client(), "admin", "pw-admin").status_code == 429
    assert not LoginThrottle.objects.exists()
    keys = redis.Redis.from_url(redis_url).keys("fieldcrm:login-fail:*")
    assert len(keys) == 2  # the account and the address
    assert 0 < redis.Redis.from_url(redis_url).ttl(keys[0]) <= throttle.WINDOW_S


# --- Two processes: two gunicorn servers on one database ---------------------------------


def _http_login(url: str, username: str, password: str) -> int:
    """The API login as a browser does it (CSRF cookie, then the header); the status."""
    import http.cookiejar
    import json
    import urllib.error
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{url}/api/v1/auth/csrf", timeout=30).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    request = urllib.request.Request(
        f"{url}/api/v1/auth/login",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json", "X-CSRFToken": csrf, "Referer": url},
        method="POST",
    )
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_two_servers_share_the_lock():
    """Four failures on server A and the fifth on server B lock rep1 on both (the database
    store: with Redis every process talks to the same server by construction)."""
    import os

    from tests.harness.database import drop_database, fresh_database
    from tests.harness.server import Server

    base_url = os.environ.get("DATABASE_URL", "spatialite:///unused.db")
    with tempfile.TemporaryDirectory(prefix="fieldcrm-throttle-") as tmp:
        # The default shape: the fault suite builds the same template, migrated once per run.
        db, _world = fresh_database(base_url, Path(tmp))
        try:
            with Server(db, workers=1) as a, Server(db, workers=1) as b:
                assert [_http_login(a.url, "rep1", "wrong") for _ in range(4)] == [422] * 4
                assert _http_login(b.url, "rep1", "wrong") == 422
                assert _http_login(a.url, "rep1", "pw-rep1") == 429
                assert _http_login(b.url, "rep1", "pw-rep1") == 429
        finally:
            drop_database(db)
