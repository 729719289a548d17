"""Reads about users: who am I, my tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from fieldcrm.access import region_ids
from fieldcrm.territories.models import Territory
from fieldcrm.users.models import ApiToken, User
from fieldcrm.users.views import landing_url


def user_me(*, actor: User) -> dict:
    """The caller's identity and where their scope comes from."""
    return {
        "id": actor.pk,
        "username": actor.username,
        "role": actor.role,
        "first_name": actor.first_name,
        "last_name": actor.last_name,
        "region_ids": sorted(r["pk"] for r in region_ids(actor)),
        "territory_ids": sorted(Territory.objects.filter(reps=actor).values_list("pk", flat=True)),
        "landing_url": landing_url(actor),
    }


def token_list(*, actor: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=actor)


def token_get(*, actor: User, token_id: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=actor, pk=token_id).first()
