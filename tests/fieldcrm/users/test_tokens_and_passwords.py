"""Personal tokens die with the password they were minted under, may expire, and are minted
only from a password login; every path that sets a password applies the validators
(issue 15 item 4)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth.forms import SetPasswordForm
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from fieldcrm.users.models import ApiToken, User
from fieldcrm.users.services import token_create


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _me(client: Client, secret: str):
    return client.get("/api/v1/auth/me", **_bearer(secret))


def _login(client: Client, username: str, password: str | None = None):
    return client.post(
        "/api/v1/auth/login",
        {"username": username, "password": password or f"pw-{username}"},
        content_type="application/json",
    )


def _change_by_api(world, user: User, new: str) -> None:
    client = Client()
    client.force_login(world.admin)
    response = client.patch(
        f"/api/v1/users/{user.pk}", {"password": new}, content_type="application/json"
    )
    assert response.status_code == 200, response.content


def _change_in_admin(world, user: User, new: str) -> None:
    client = Client()
    client.force_login(world.admin)
    response = client.post(
        f"/admin/users/user/{user.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def _change_by_command(world, user: User, new: str, monkeypatch) -> None:
    monkeypatch.setattr("getpass.getpass", lambda *a, **k: new)
    call_command("changepassword", user.username, stdout=io.StringIO())


def _reset(world, user: User, new: str) -> None:
    # What Django's password-reset confirmation page saves.
    form = SetPasswordForm(user, {"new_password1": new, "new_password2": new})
    assert form.is_valid(), form.errors
    form.save()


@pytest.mark.parametrize("path", ["api", "admin", "changepassword", "reset", "save_password"])
def test_a_token_stops_working_when_its_users_password_changes_on_any_path(
    client, world, path, monkeypatch
):
    _, secret = token_create(user=world.rep1, name="integration")
    assert _me(client, secret).status_code == 200
    new = "a-much-better-secret-41"
    rep = User.objects.get(pk=world.rep1.pk)
    if path == "api":
        _change_by_api(world, rep, new)
    elif path == "admin":
        _change_in_admin(world, rep, new)
    elif path == "changepassword":
        _change_by_command(world, rep, new, monkeypatch)
    elif path == "reset":
        _reset(world, rep, new)
    else:
        rep.set_password(new)
        rep.save(update_fields=["password"])
    response = _me(client, secret)
    assert response.status_code == 401
    assert response.json()["code"] == "password_changed"
    # A token minted after the change works.
    _, fresh = token_create(user=User.objects.get(pk=rep.pk), name="new")
    assert _me(client, fresh).status_code == 200


def test_a_hasher_upgrade_at_login_is_not_a_password_change(client, world, settings):
    _, secret = token_create(user=world.rep1, name="integration")
    # The stored hash is MD5 (tests' hasher); with PBKDF2 first, a login re-hashes it.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert _login(Client(), "rep1").status_code == 200
    assert User.objects.get(pk=world.rep1.pk).password.startswith("pbkdf2_")
    assert _me(client, secret).status_code == 200


def test_a_token_with_an_expiry_works_until_then_and_is_401_expired_after(client, world):
    session = Client()
    session.force_login(world.rep1)
    expires = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = session.post(
        "/api/v1/auth/tokens", {"name": "day", "expires_at": expires},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    secret = response.json()["token"]
    assert response.json()["expires_at"] is not None
    assert _me(client, secret).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        response = _me(client, secret)
        assert response.status_code == 401
        assert response.json()["code"] == "token_expired"
        listed = session.get("/api/v1/auth/tokens").json()
        assert [(t["name"], t["status"]) for t in listed] == [("day", "expired")]


@pytest.mark.parametrize(
    "expires_at",
    [
        "2000-01-01T00:00:00Z",  # the past
        "2099-01-01T00:00:00Z",  # beyond a year
        "not a date",
    ],
)
def test_a_token_expiry_in_the_past_or_beyond_a_year_is_422_naming_expires_at(world, expires_at):
    session = Client()
    session.force_login(world.rep1)
    response = session.post(
        "/api/v1/auth/tokens", {"name": "x", "expires_at": expires_at},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422
    assert any("expires_at" in e["loc"] for e in response.json()["detail"])
    assert not ApiToken.objects.filter(user=world.rep1).exists()


def test_the_token_list_says_which_tokens_work_and_why_the_others_do_not(world):
    session = Client()
    session.force_login(world.rep1)
    old, _ = token_create(user=world.rep1, name="before")
    rep = User.objects.get(pk=world.rep1.pk)
    rep.set_password("a-much-better-secret-41")
    rep.save()
    session.force_login(rep)
    token_create(user=rep, name="after")
    revoked, _ = token_create(user=rep, name="dropped")
    assert session.delete(f"/api/v1/auth/tokens/{revoked.pk}").status_code == 204
    listed = {t["name"]: t for t in session.get("/api/v1/auth/tokens").json()}
    assert (listed["before"]["status"], listed["before"]["revoked_reason"]) == (
        "revoked", "password_changed",
    )  # fmt: skip
    assert listed["before"]["revoked_at"] is not None
    assert (listed["after"]["status"], listed["after"]["revoked_at"]) == ("active", None)
    assert listed["dropped"]["revoked_reason"] == "token_revoked"


def test_a_token_cannot_mint_tokens_but_a_password_login_can(client, world):
    _, secret = token_create(user=world.rep1, name="integration")
    response = client.post(
        "/api/v1/auth/tokens", {"name": "more"}, content_type="application/json",
        **_bearer(secret),
    )  # fmt: skip
    assert response.status_code == 403
    assert "password" in response.json()["detail"]
    assert ApiToken.objects.filter(user=world.rep1).count() == 1
    session = Client()
    assert _login(session, "rep1").status_code == 200
    response = session.post(
        "/api/v1/auth/tokens", {"name": "more"}, content_type="application/json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("weak", ["password", "12345678", "short", "98765432101"])
@pytest.mark.parametrize("how", ["create", "patch"])
def test_a_weak_password_is_422_naming_password_with_the_validators_messages(
    as_user, world, weak, how
):
    before = (User.objects.count(), User.objects.get(pk=world.rep2.pk).password)
    if how == "create":
        response = as_user("admin").post(
            "users", {"username": "rep9", "password": weak, "first_name": "New"}
        )
    else:
        body = {"password": weak, "first_name": "Changed"}
        response = as_user("admin").patch(f"users/{world.rep2.pk}", body)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail and all(e["loc"] == ["body", "password"] for e in detail)
    messages = " ".join(e["msg"] for e in detail)
    if weak in ("password", "12345678"):
        assert "too common" in messages
    # Nothing half-saved: no user, no new name or password.
    rep2 = User.objects.get(pk=world.rep2.pk)
    assert (User.objects.count(), rep2.password) == before
    assert rep2.first_name == ""


def test_weak_password_messages_are_translated(as_user, world):
    response = as_user("admin").post(
        "users", {"username": "rep9", "password": "12345678"}, HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert response.status_code == 422
    assert "too common" not in response.json()["detail"][0]["msg"]


def test_changing_your_own_password_keeps_this_session_and_ends_your_tokens(world):
    session = Client()
    session.force_login(world.admin)
    _, secret = token_create(user=world.admin, name="mine")
    response = session.patch(
        f"/api/v1/users/{world.admin.pk}", {"password": "a-much-better-secret-41"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200
    assert session.get("/api/v1/auth/me").status_code == 200
    assert _me(Client(), secret).status_code == 401
