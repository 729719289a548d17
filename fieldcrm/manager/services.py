"""Writes from the manager pages. Each goes through the services of the app that owns the
rows, so the same scope, role and validation rules apply as for the API and the phone."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.utils.translation import gettext as _

from fieldcrm.access import require_role
from fieldcrm.bulk.fields import MAX_ACCOUNTS
from fieldcrm.bulk.services import bulk_change_preview
from fieldcrm.core.errors import DomainError
from fieldcrm.manager.selectors import MapFilters, selection_accounts
from fieldcrm.users.models import User


def selection_bulk_preview(
    *, actor: User, filters: MapFilters, area: GEOSGeometry, field: str, value: Any
) -> dict[str, Any]:
    """What a bulk change of the drawn selection would do (bulk.services preview), with the
    ids of the accounts that would change: the page applies exactly those, once confirmed,
    through the bulk-changes API (which checks them again)."""
    require_role(actor, User.Role.MANAGER)
    selected = selection_accounts(actor=actor, filters=filters, area=area).order_by("pk")
    ids = list(selected.values_list("pk", flat=True)[: MAX_ACCOUNTS + 1])
    if not ids:
        raise DomainError("area", _("No account in the selected area."))
    if len(ids) > MAX_ACCOUNTS:
        raise DomainError(
            "area",
            _("At most %(max)s accounts can be changed at once: select a smaller area.")
            % {"max": f"{MAX_ACCOUNTS:,}"},
        )
    preview = bulk_change_preview(actor=actor, field=field, value=value, account_ids=ids)
    preview["account_ids"] = [item["id"] for item in preview["changes"]]
    return preview
