"""Writes from the manager pages. Each goes through fieldcrm.accounts.services, so the same
scope, role and validation rules apply as for the API and the phone."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils.translation import gettext as _

from fieldcrm.access import require_role
from fieldcrm.accounts.services import accounts_set_owner
from fieldcrm.core.errors import DomainError
from fieldcrm.manager.selectors import MapFilters, selection_accounts
from fieldcrm.users.models import User
from fieldcrm.users.selectors import owner_in_scope

MAX_ASSIGN = 2_000


@transaction.atomic
def selection_assign(
    *, actor: User, filters: MapFilters, area: GEOSGeometry, owner_id: int | None
) -> int:
    """Give every account of a selection to ``owner_id`` (None: no owner); all or nothing.

    The same rules as ``account_update_by`` (write scope, the owner within the caller's scope,
    full_clean, territory derived from the location, version and sync bookkeeping in save),
    with the two scope checks made once for the whole selection instead of once per account:
    per account they cost two thirds of the time (~120 ms -> ~35 ms an account on SpatiaLite).
    """
    require_role(actor, User.Role.MANAGER)
    selected = selection_accounts(actor=actor, filters=filters, area=area).order_by("pk")
    ids = list(selected.values_list("pk", flat=True)[: MAX_ASSIGN + 1])
    if len(ids) > MAX_ASSIGN:
        raise DomainError(
            "area",
            _("At most %(max)s accounts can be assigned at once: select a smaller area.")
            % {"max": f"{MAX_ASSIGN:,}"},
        )
    owner = owner_in_scope(actor=actor, owner_id=owner_id)
    return accounts_set_owner(actor=actor, account_ids=ids, owner=owner)
