"""Reads about users: who am I, my tokens."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fieldcrm.access import region_ids, scoped
from fieldcrm.core.errors import DomainError
from fieldcrm.territories.models import Territory
from fieldcrm.users.models import ApiToken, User

LANDING: dict[str, str] = {
    User.Role.REP: "/app/",
    User.Role.MANAGER: "/manager/",
    User.Role.PLANNER: "/planner/",
    User.Role.ADMIN: "/admin/",
}


def landing_url(user: User) -> str:
    """Where a user starts: reps on the phone app, the others on their pages."""
    return LANDING.get(user.role, "/admin/")


def user_me(*, actor: User) -> dict:
    """The caller's identity and where their scope comes from."""
    return {
        "id": actor.pk,
        "username": actor.username,
        "role": actor.role,
        "first_name": actor.first_name,
        "last_name": actor.last_name,
        "region_ids": sorted({r["pk"] for r in region_ids(actor)}),
        "territory_ids": sorted(Territory.objects.filter(reps=actor).values_list("pk", flat=True)),
        "landing_url": landing_url(actor),
    }


def token_list(*, actor: User) -> QuerySet[ApiToken]:
    """The caller's tokens, live or not (each says whether it works and why not)."""
    return ApiToken.objects.filter(user=actor).select_related("user")


def token_get(*, actor: User, token_id: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=actor, pk=token_id).first()


def user_in_scope(
    *, actor: User, user_id: int, field: str, rep: bool = False, active: bool = False
) -> User:
    """The user ``actor`` may see (a rep with ``rep``, an active user with ``active``), else a
    DomainError naming ``field``: owners, assignees and reps are all chosen through this."""
    users = scoped(User, actor).filter(pk=user_id)
    if rep:
        users = users.filter(role=User.Role.REP)
    if active:
        users = users.filter(is_active=True)
    user = users.first()
    if user is None:
        message = _("No such rep in your scope.") if rep else _("No such user in your scope.")
        raise DomainError(field, message)
    return user


def owner_in_scope(*, actor: User, owner_id: int | None) -> User | None:
    """An account's or deal's owner: none, or a user ``actor`` may see (field ``owner_id``)."""
    if owner_id is None:
        return None
    return user_in_scope(actor=actor, user_id=owner_id, field="owner_id")
