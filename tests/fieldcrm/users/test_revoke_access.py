"""A rep who leaves or loses a phone: their sessions and tokens end in one step, the phone is
told "revoked" (and wipes itself), and their accounts move to someone else in one change
(issue 15 item 4)."""

from __future__ import annotations

import pytest
from django.test import Client

from fieldcrm.accounts.models import Account
from fieldcrm.users.models import User
from fieldcrm.users.services import token_create
from tests.factories import make_account


def _phone(user: User) -> Client:
    phone = Client()
    response = phone.post(
        "/api/v1/auth/login", {"username": user.username, "password": f"pw-{user.username}"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200
    return phone


def test_admin_revokes_a_reps_sessions_and_tokens_in_one_step(as_user, world):
    phone, laptop = _phone(world.rep1), _phone(world.rep1)
    _, secret = token_create(user=world.rep1, name="integration")
    response = as_user("admin").post(f"users/{world.rep1.pk}/revoke-access")
    assert response.status_code == 200, response.content
    assert response.json()["tokens_revoked"] == 1
    for client in (phone, laptop):
        answer = client.get("/api/v1/sync/pull?cursor=0")
        assert answer.status_code == 401
        assert answer.json()["code"] == "revoked"
        # Told once: the session is over, and the next call is an ordinary 401.
        assert client.get("/api/v1/auth/me").json()["code"] == "not_authenticated"
    answer = Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert (answer.status_code, answer.json()["code"]) == (401, "revoked")
    # The rep logs in again (a new phone): that session works.
    assert _phone(world.rep1).get("/api/v1/auth/me").status_code == 200


def test_an_ordinary_ended_session_is_401_not_authenticated_never_revoked(world):
    phone = _phone(world.rep1)
    assert phone.post("/api/v1/auth/logout").status_code == 204
    answer = phone.get("/api/v1/sync/pull?cursor=0")
    assert (answer.status_code, answer.json()["code"]) == (401, "not_authenticated")
    answer = Client().get("/api/v1/auth/me")
    assert (answer.status_code, answer.json()["code"]) == (401, "not_authenticated")


def test_a_revoked_session_is_logged_out_of_the_html_pages_too(world):
    browser = Client()
    assert (
        browser.post("/login/", {"username": "manager", "password": "pw-manager"}).status_code
        == 302
    )
    assert browser.get("/manager/").status_code == 200
    admin = Client()
    admin.force_login(world.admin)
    assert admin.post(f"/api/v1/users/{world.manager.pk}/revoke-access").status_code == 200
    response = browser.get("/manager/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_manager_revokes_access_of_their_regions_reps_only(as_user, world):
    manager = as_user("manager")
    assert manager.post(f"users/{world.rep1.pk}/revoke-access").status_code == 200
    outside = manager.post(f"users/{world.rep3.pk}/revoke-access")
    assert outside.status_code == 404
    assert User.objects.get(pk=world.rep3.pk).access_revoked_at is None


@pytest.mark.parametrize(("persona", "target", "status"), [
    ("rep1", "rep2", 403), ("planner", "rep1", 403), ("admin", "admin", 403),
    ("manager", "admin", 404),
])  # fmt: skip
def test_others_may_not_revoke_access(as_user, world, persona, target, status):
    response = as_user(persona).post(f"users/{getattr(world, target).pk}/revoke-access")
    assert response.status_code == status, response.content
    assert "detail" in response.json()
    assert not User.objects.filter(access_revoked_at__isnull=False).exists()


def test_deactivating_a_user_revokes_their_sessions_too(as_user, world):
    phone = _phone(world.rep1)
    assert as_user("admin").patch(f"users/{world.rep1.pk}", {"is_active": False}).status_code == 200
    answer = phone.get("/api/v1/auth/me")
    assert (answer.status_code, answer.json()["code"]) == (401, "revoked")


def test_the_admin_action_revokes_the_selected_users(world):
    phone = _phone(world.rep2)
    admin = Client()
    admin.force_login(world.admin)
    response = admin.post(
        "/admin/users/user/",
        {"action": "revoke_access", "_selected_action": [world.rep2.pk, world.admin.pk]},
    )
    assert response.status_code == 302
    assert phone.get("/api/v1/auth/me").json()["code"] == "revoked"
    # Not the admin's own session.
    assert admin.get("/admin/").status_code == 200


def test_a_manager_reassigns_every_account_a_rep_owns_in_one_change(as_user, world):
    owned = [make_account(f"Shop {i}", lng=1.05, lat=42.05, owner=world.rep1) for i in range(3)]
    elsewhere = make_account("South shop", lng=1.1, lat=41.05, owner=world.rep1)
    versions = {a.pk: a.version for a in owned}
    response = as_user("manager").post(
        f"users/{world.rep1.pk}/reassign-accounts", {"to_user_id": world.rep2.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"reassigned": 3}
    for account in Account.objects.filter(pk__in=versions):
        assert account.owner_id == world.rep2.pk
        assert account.version > versions[account.pk]  # phones learn of it on their next pull
    # The account outside the manager's region is not theirs to move.
    assert Account.objects.get(pk=elsewhere.pk).owner_id == world.rep1.pk


@pytest.mark.parametrize(("body", "status"), [
    ({"to_user_id": "rep3"}, 422),  # outside the manager's scope (filled in below)
    ({"to_user_id": "rep1"}, 422),  # the same person
    ({"to_user_id": 2**70}, 422),
    ({}, 422),
])  # fmt: skip
def test_a_bad_reassignment_is_422_naming_to_user_id_and_moves_nothing(
    as_user, world, body, status
):
    account = make_account("Shop", lng=1.05, lat=42.05, owner=world.rep1)
    if isinstance(body.get("to_user_id"), str):
        body = {"to_user_id": getattr(world, body["to_user_id"]).pk}
    response = as_user("manager").post(f"users/{world.rep1.pk}/reassign-accounts", body)
    assert response.status_code == status, response.content
    assert any("to_user_id" in e["loc"] for e in response.json()["detail"])
    assert Account.objects.get(pk=account.pk).owner_id == world.rep1.pk


def test_reps_may_not_reassign_accounts(as_user, world):
    make_account("Shop", lng=1.05, lat=42.05, owner=world.rep1)
    response = as_user("rep1").post(
        f"users/{world.rep1.pk}/reassign-accounts", {"to_user_id": world.rep2.pk}
    )
    assert response.status_code == 403
