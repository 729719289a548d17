"""The deal board (/crm/deals/board/): a pipeline's stages as columns of cards, totals per
column per currency. A card moves by a plain POST form (its stage and the copy it was based
on) that SortableJS's drag and drop fills and sends (static/crm/board.js); a deal changed
meanwhile is refused and the board shows the card as it now is."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fieldcrm.core.errors import DomainError
from fieldcrm.crm import selectors
from fieldcrm.crm.forms import BoardFilterForm, DealMoveForm
from fieldcrm.crm.views import _back, crm_page
from fieldcrm.deals.selectors import pipeline_list
from fieldcrm.deals.services import LostReasonNeeded, StaleDeal, deal_move
from fieldcrm.users.auth import PageRequest


@require_GET
@crm_page
def deal_board(request: PageRequest) -> HttpResponse:
    pipelines = list(pipeline_list(actor=request.user))
    form = BoardFilterForm(request.GET or None, actor=request.user, pipelines=pipelines)
    form.is_valid()  # an invalid filter is shown at its field and left out
    board = selectors.deal_board(
        actor=request.user, pipeline_id=form.valid_data().get("pipeline"),
        filters=form.filters(), pipelines=pipelines, expand=form.valid_data().get("more"),
    )  # fmt: skip
    # One query string per column's "show more", the filters kept.
    query = request.GET.copy()
    query.pop("more", None)
    for column in board["columns"]:
        query["more"] = str(column["stage"].pk)
        column["more_url"] = f"?{query.urlencode()}#stage-{column['stage'].pk}"
    changed = request.GET.get("changed", "")
    return render(request, "crm/board.html", {
        **board, "back": request.get_full_path(), "changed": changed, "filters": form,
        "stages": [c["stage"] for c in board["columns"]],
        "filtered": any(form.valid_data().get(k) for k in ("owner", "region", "close_month")),
    })  # fmt: skip


@require_POST
@crm_page
def deal_move_view(request: PageRequest, deal_id: int) -> HttpResponse:
    data = selectors.deal_overview(actor=request.user, deal_id=deal_id)  # 404 first
    deal = data["deal"]
    stages = list(deal.pipeline.stages.order_by("position", "pk"))
    board = reverse("crm:deal_board") + f"?pipeline={deal.pipeline_id}"
    back = _back(request, board)
    reasons = selectors.lost_reason_options(actor=request.user)
    form = DealMoveForm(request.POST, stages=stages, reasons=reasons)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {errors[0]}")
        return HttpResponseRedirect(back)
    try:
        moved = deal_move(
            actor=request.user, deal_id=deal.pk, stage_id=form.cleaned_data["stage"],
            based_on=form.cleaned_data.get("based_on"),
            lost_reason_id=form.cleaned_data.get("lost_reason"),
        )  # fmt: skip
    except StaleDeal as exc:
        messages.error(request, _(
            "%(deal)s changed meanwhile and was not moved: it is now in %(stage)s."
        ) % {"deal": exc.current.name, "stage": exc.current.stage.name})  # fmt: skip
        return HttpResponseRedirect(_with_changed(back, deal.pk))
    except LostReasonNeeded as exc:
        # Dropped on a lost column (or sent without a reason): the deal page asks for one,
        # with that stage chosen; nothing moved meanwhile.
        messages.error(request, exc.message)
        page = reverse("crm:deal", args=[deal.pk])
        return HttpResponseRedirect(f"{page}?lost_stage={form.cleaned_data['stage']}#deal-move")
    except (DomainError, ValidationError) as exc:
        messages.error(request, str(getattr(exc, "message", exc)))
        return HttpResponseRedirect(back)
    messages.success(request, _("%(deal)s moved to %(stage)s.") % {
        "deal": moved.name, "stage": moved.stage.name})  # fmt: skip
    return HttpResponseRedirect(f"{back}#deal-{deal.pk}")


def _with_changed(url: str, deal_id: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}changed={deal_id}#deal-{deal_id}"
