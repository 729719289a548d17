"""Reads of the lead web forms for the settings pages, from the caller's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fieldcrm.access import get_scoped, scoped
from fieldcrm.leads.models import WebForm
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User


def web_form_list(*, actor: User) -> QuerySet[WebForm]:
    """The forms the caller may see, by name, with what their leads get."""
    return (
        scoped(WebForm, actor).select_related("region", "territory", "default_owner")
        .order_by("name", "pk")
    )  # fmt: skip


def web_form_get(*, actor: User, form_id: int) -> WebForm:
    return get_scoped(WebForm, actor, form_id)


def web_form_choices(*, actor: User) -> dict[str, QuerySet[Any]]:
    """What a form's region, territory and owner may be chosen from: the caller's scope."""
    return {
        "regions": scoped(Region, actor).order_by("name", "pk"),
        "territories": scoped(Territory, actor).select_related("region").order_by("name", "pk"),
        "owners": scoped(User, actor).filter(is_active=True).order_by("username", "pk"),
    }
