"""The accounts list's segments (saved views) and bulk actions, and the search page: HTTP only,
like views.py. Bulk changes go through fieldcrm.bulk's preview → apply → undo (the manager
map's too): this module only turns the list's selection into that flow's account ids."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fieldcrm.bulk.fields import MAX_ACCOUNTS
from fieldcrm.bulk.selectors import bulk_change_summary
from fieldcrm.bulk.services import bulk_change_apply, bulk_change_preview, bulk_change_undo
from fieldcrm.core.errors import DomainError
from fieldcrm.crm import selectors, services
from fieldcrm.crm.forms import AccountFilterForm, BulkForm, SearchForm, SegmentForm
from fieldcrm.crm.segments import segment_params
from fieldcrm.crm.views import _back, crm_page
from fieldcrm.search.selectors import hit_url, search
from fieldcrm.users.auth import PageRequest


@require_POST
@crm_page
def segment_save(request: PageRequest) -> HttpResponse:
    """Save the list's current filters as a segment, then show the list through it."""
    form = SegmentForm(request.POST)
    back = _back(request, reverse("crm:accounts"))
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {errors[0]}")
        return HttpResponseRedirect(back)
    query = QueryDict(form.cleaned_data["query"] or "")
    try:
        segment = services.segment_create(
            actor=request.user, name=form.cleaned_data["name"],
            query={k: query.getlist(k) for k in query}, is_shared=form.cleaned_data["is_shared"],
        )  # fmt: skip
    except DomainError as exc:
        label = form.fields["name"].label if exc.field == "name" else _("Filters")
        messages.error(request, f"{label}: {exc.message}")
        return HttpResponseRedirect(back)
    messages.success(request, _("Segment saved."))
    return HttpResponseRedirect(reverse("crm:accounts") + f"?segment={segment.pk}")


@require_POST
@crm_page
def segment_delete(request: PageRequest, segment_id: int) -> HttpResponse:
    services.segment_delete(actor=request.user, segment_id=segment_id)
    messages.success(request, _("Segment deleted."))
    return HttpResponseRedirect(reverse("crm:accounts"))


def _selection(request: PageRequest, form: BulkForm) -> list[Any]:
    """The accounts the change is for: the ticked rows, or every account matching the list's
    filters (its segment included) up to the bulk limit (beyond: DomainError, narrow them)."""
    if not form.cleaned_data.get("all_matching"):
        return list(form.cleaned_data["ids"])
    params, _segment = segment_params(request.user, QueryDict(form.cleaned_data["filters"] or ""))
    filters = AccountFilterForm(params, actor=request.user)
    if not filters.is_valid():
        # The list left the bad filter out and showed more: never change that wider set.
        raise DomainError("filters", _("Some filters were not used: correct them before "
                                       "changing every matching account."))  # fmt: skip
    ids = selectors.account_table_ids(
        actor=request.user, filters=filters.filters(), limit=MAX_ACCOUNTS + 1
    )
    if len(ids) > MAX_ACCOUNTS:
        raise DomainError(
            "account_ids",
            _("At most %(max)s accounts can be changed at once: narrow the filters.")
            % {"max": f"{MAX_ACCOUNTS:,}"},
        )
    return ids


def _list_url(request: PageRequest) -> str:
    filters = request.POST.get("filters") or ""
    return reverse("crm:accounts") + (f"?{filters}" if filters else "")


@require_POST
@crm_page
def bulk_preview(request: PageRequest) -> HttpResponse:
    """What the change would do (fieldcrm.bulk's preview), and a form to apply exactly that."""
    form = BulkForm(request.POST, actor=request.user)
    if not form.is_valid():
        errors = [str(e) for e in form.non_field_errors()] or [
            f"{form.fields[f].label}: {e[0]}" for f, e in form.errors.items() if f in form.fields
        ]
        messages.error(request, " ".join(errors))
        return HttpResponseRedirect(_list_url(request))
    field, value = form.field_value()
    try:
        ids = _selection(request, form)
        preview = bulk_change_preview(actor=request.user, field=field, value=value,
                                      account_ids=ids)  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(_list_url(request))
    return render(request, "crm/bulk_preview.html", {
        "preview": preview, "change": form.cleaned_data["change"],
        "ids": [c["id"] for c in preview["changes"]], "filters": request.POST.get("filters", ""),
    })  # fmt: skip


@require_POST
@crm_page
def bulk_apply(request: PageRequest) -> HttpResponse:
    """Apply the previewed change to the previewed accounts (the service checks them again)."""
    form = BulkForm(request.POST, actor=request.user)
    if not form.is_valid() or form.cleaned_data.get("all_matching"):
        messages.error(request, _("Preview the change first."))
        return HttpResponseRedirect(_list_url(request))
    field, value = form.field_value()
    try:
        change, _summary = bulk_change_apply(
            actor=request.user, field=field, value=value, account_ids=form.cleaned_data["ids"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(_list_url(request))
    done = bulk_change_summary(change=change)
    if done["field"] == "tags":
        text = _("Tags: %(value)s on %(count)s accounts.")
    else:
        text = _("%(field)s set to %(value)s on %(count)s accounts.")
    messages.success(
        request,
        text
        % {"field": done["field_label"], "value": done["value_display"], "count": done["count"]},
    )
    return HttpResponseRedirect(_list_url(request))


@require_POST
@crm_page
def bulk_undo(request: PageRequest) -> HttpResponse:
    """Undo the caller's last bulk change (the one the list's notice names)."""
    raw = request.POST.get("change_id") or ""
    try:
        change = bulk_change_undo(
            actor=request.user, change_id=int(raw) if raw.isdigit() and len(raw) < 18 else None
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(_list_url(request))
    undone = bulk_change_summary(change=change)
    messages.success(
        request,
        _("Undone: %(restored)s accounts put back, %(skipped)s left as they are now.")
        % {"restored": undone["restored"], "skipped": len(undone["undo_skipped"])},
    )
    return HttpResponseRedirect(_list_url(request))


@require_GET
@crm_page
def search_page(request: PageRequest) -> HttpResponse:
    """The search (the command palette's page without script): hits grouped by kind."""
    form = SearchForm(request.GET)
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    hits = search(actor=request.user, q=q, limit=50) if q else []
    groups: dict[str, list[dict[str, Any]]] = {"account": [], "contact": [], "deal": []}
    for hit in hits:
        groups[hit.kind].append({"hit": hit, "url": hit_url(hit)})
    labels = {"account": _("Accounts"), "contact": _("Contacts"), "deal": _("Deals")}
    return render(request, "crm/search.html", {
        "form": form, "q": q, "search_q": q,
        "groups": [(labels[k], k, v) for k, v in groups.items() if v],
        "accounts_url": reverse("crm:accounts") + "?" + urlencode({"q": q}),
    })  # fmt: skip
