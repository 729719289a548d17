"""Writes from the manager pages. Each goes through fieldcrm.accounts.services, so the same
scope, role and validation rules apply as for the API and the phone."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils.translation import gettext as _

from fieldcrm.accounts.services import account_update_by
from fieldcrm.core.errors import DomainError
from fieldcrm.core.scoping import require_role
from fieldcrm.manager.selectors import MapFilters, selection_accounts
from fieldcrm.users.models import User

MAX_ASSIGN = 2_000


@transaction.atomic
def selection_assign(
    *, actor: User, filters: MapFilters, area: GEOSGeometry, owner_id: int | None
) -> int:
    """Give every account of a selection to ``owner_id`` (None: no owner); all or nothing.
    The territory stays derived from the location, as for any other edit."""
    require_role(actor, User.Role.MANAGER)
    ids = list(
        selection_accounts(actor=actor, filters=filters, area=area).values_list("pk", flat=True)[
            : MAX_ASSIGN + 1
        ]
    )
    if len(ids) > MAX_ASSIGN:
        raise DomainError(
            "area",
            _("At most %(max)s accounts can be assigned at once: select a smaller area.")
            % {"max": f"{MAX_ASSIGN:,}"},
        )
    for account_id in ids:
        account_update_by(actor=actor, account_id=account_id, data={"owner_id": owner_id})
    return len(ids)
