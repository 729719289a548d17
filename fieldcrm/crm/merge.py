"""Merging two duplicate accounts (/crm/accounts/<keep>/merge/<other>): a side-by-side page
where a manager picks, field by field, which value stays, then one POST merges (the rules are
accounts.services.account_merge's). Reps see the possible duplicates on the account page but
do not merge: the merged-away account may be a colleague's."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fieldcrm.access import NotAllowed, has_role
from fieldcrm.accounts.models import AccountMergeField
from fieldcrm.accounts.services import MERGE_FIELDS, MERGE_ROLES, account_merge
from fieldcrm.core.errors import DomainError
from fieldcrm.crm import selectors
from fieldcrm.crm.views import crm_page
from fieldcrm.users.auth import PageRequest


def _shown(account: Any, name: str) -> str:
    if name == "location":
        return f"{account.location.y:.5f}, {account.location.x:.5f}"
    if name == "owner":
        return account.owner.display_name if account.owner else _("nobody")
    if name == "opening_hours":
        days = len(account.opening_hours or {})
        return ngettext("%(n)d day set", "%(n)d days set", days) % {"n": days}
    display = getattr(account, f"get_{name}_display", None)
    value = display() if display else getattr(account, name)
    return "" if value in (None, "") else str(value)


@crm_page
def account_merge_view(request: PageRequest, account_id: object, other_id: object) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    # Scope first: an account outside it answers 404 as a missing one does, whatever the role.
    pair = selectors.merge_preview(actor=request.user, keep_id=account_id, other_id=other_id)
    keep, other = pair["keep"], pair["other"]
    if not has_role(request.user, *MERGE_ROLES):
        raise PermissionDenied(_("Only managers and admins merge accounts."))
    if keep.pk == other.pk:
        messages.error(request, _("An account cannot be merged into itself."))
        return HttpResponseRedirect(reverse("crm:account", args=[keep.pk]))
    if request.method == "POST":
        take = [name for name in MERGE_FIELDS if request.POST.get(name) == "other"]
        try:
            kept = account_merge(actor=request.user, keep_id=keep.pk, merge_id=other.pk, take=take)
        except (DomainError, NotAllowed) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        else:
            messages.success(
                request, _("“%(name)s” was merged into this account.") % {"name": other.name}
            )
            return HttpResponseRedirect(reverse("crm:account", args=[kept.pk]))
    rows = [
        {"name": name, "label": AccountMergeField(name).label,
         "keep": _shown(keep, name), "other": _shown(other, name)}
        for name in MERGE_FIELDS
    ]  # fmt: skip
    counts = pair["moving"]
    moving = {
        _("Contacts"): counts["contacts"], _("Deals"): counts["deals"],
        _("Tasks"): counts["tasks"], _("Visits"): counts["visits"],
    }  # fmt: skip
    return render(request, "crm/merge.html", {
        "keep": keep, "other": other, "rows": rows, "moving": moving,
    })  # fmt: skip
