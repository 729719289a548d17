"""Settings: pipelines and their stages (/crm/settings/pipelines), admins only, as the other
settings pages. Stages are reordered by dragging (pipeline-stages.js submits the whole order)
or with the up/down buttons, which work without script; a stage holding deals is removed only
after the admin picks where they go. HTTP only: the rules are in deals.services and
deals.manage_services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fieldcrm.automation.views import settings_page
from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.crm.settings_forms import PipelineForm, StageForm
from fieldcrm.deals import manage_services, selectors, services
from fieldcrm.users.auth import PageRequest


def _message(exc: DomainError | ValidationError) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    return " ".join(message for _name, message in validation_error_fields(exc))


def _refused(form: PipelineForm | StageForm, exc: DomainError | ValidationError) -> None:
    pairs = [(exc.field, exc.message)] if isinstance(exc, DomainError) else (
        validation_error_fields(exc))  # fmt: skip
    for name, message in pairs:
        form.add_error(name if name in form.fields else None, message)


def _list_page(
    request: PageRequest, form: PipelineForm | None = None, status: int = 200
) -> HttpResponse:
    counts = selectors.pipeline_deal_counts(actor=request.user)
    pipelines = [(p, counts.get(p.pk, 0)) for p in selectors.pipeline_list(actor=request.user)]
    return render(request, "crm/settings/pipelines.html", {
        "pipelines": pipelines, "form": form or PipelineForm(),
    }, status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@settings_page
def pipelines(request: PageRequest) -> HttpResponse:
    """The pipelines; POST: a new one, with an open, a won and a lost stage to start from."""
    if request.method == "GET":
        return _list_page(request)
    form = PipelineForm(request.POST)
    if form.is_valid():
        try:
            pipeline = manage_services.pipeline_start(
                actor=request.user, name=form.cleaned_data["name"]
            )
        except (DomainError, ValidationError) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Pipeline “%(name)s” added.") % {"name": pipeline.name})
            return HttpResponseRedirect(reverse("crm_settings:pipeline", args=[pipeline.pk]))
    return _list_page(request, form, status=400)


def _pipeline_page(
    request: PageRequest,
    pipeline_id: int,
    form: PipelineForm | None = None,
    stage_form: StageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    pipeline = selectors.pipeline_list(actor=request.user).get(pk=pipeline_id)
    counts = selectors.stage_deal_counts(actor=request.user, pipeline_id=pipeline_id)
    stages = [(s, counts.get(s.pk, 0)) for s in pipeline.stages.all()]
    initial = {"name": pipeline.name, "is_default": pipeline.is_default}
    return render(request, "crm/settings/pipeline.html", {
        "pipeline": pipeline, "stages": stages, "outcomes": StageForm.base_fields["outcome"],
        "form": form or PipelineForm(initial=initial),
        "stage_form": stage_form or StageForm(initial={"probability": 50}),
    }, status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@settings_page
def pipeline(request: PageRequest, pipeline_id: int) -> HttpResponse:
    """One pipeline: its stages in order; POST: rename it or make it the default."""
    selectors.pipeline_get(actor=request.user, pipeline_id=pipeline_id)  # 404 first
    if request.method == "GET":
        return _pipeline_page(request, pipeline_id)
    form = PipelineForm(request.POST)
    if form.is_valid():
        try:
            services.pipeline_update(actor=request.user, pipeline_id=pipeline_id,
                                     data=form.cleaned_data)  # fmt: skip
        except (DomainError, ValidationError) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Pipeline saved."))
            return HttpResponseRedirect(reverse("crm_settings:pipeline", args=[pipeline_id]))
    return _pipeline_page(request, pipeline_id, form=form, status=400)


@require_POST
@settings_page
def pipeline_delete(request: PageRequest, pipeline_id: int) -> HttpResponse:
    """Remove a pipeline without deals (the page asks first)."""
    selectors.pipeline_get(actor=request.user, pipeline_id=pipeline_id)  # 404 first
    back = reverse("crm_settings:pipeline", args=[pipeline_id])
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick “Yes, remove it” to remove the pipeline."))
        return HttpResponseRedirect(back)
    try:
        manage_services.pipeline_delete(actor=request.user, pipeline_id=pipeline_id)
    except DomainError as exc:
        messages.error(request, _("Nothing was removed.") + " " + exc.message)
        return HttpResponseRedirect(back)
    messages.success(request, _("Pipeline removed."))
    return HttpResponseRedirect(reverse("crm_settings:pipelines"))


@require_POST
@settings_page
def stage_new(request: PageRequest, pipeline_id: int) -> HttpResponse:
    """A new stage in the pipeline (an open one before the won and lost stages)."""
    selectors.pipeline_get(actor=request.user, pipeline_id=pipeline_id)  # 404 first
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            manage_services.stage_add(actor=request.user, pipeline_id=pipeline_id,
                                      data=form.cleaned_data)  # fmt: skip
        except (DomainError, ValidationError) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Stage added."))
            return HttpResponseRedirect(reverse("crm_settings:pipeline", args=[pipeline_id]))
    return _pipeline_page(request, pipeline_id, stage_form=form, status=400)


@require_POST
@settings_page
def stage_order(request: PageRequest, pipeline_id: int) -> HttpResponse:
    """The whole order at once, as the drag and drop left it (repeated ``stage`` ids)."""
    selectors.pipeline_get(actor=request.user, pipeline_id=pipeline_id)  # 404 first
    try:
        ids = [int(v) for v in request.POST.getlist("stage")]
    except ValueError:
        ids = []
    try:
        manage_services.stage_reorder(actor=request.user, pipeline_id=pipeline_id, stage_ids=ids)
    except DomainError as exc:
        messages.error(request, _("Nothing was saved.") + " " + exc.message)
    else:
        messages.success(request, _("Stage order saved."))
    return HttpResponseRedirect(reverse("crm_settings:pipeline", args=[pipeline_id]) + "#stages")


@require_POST
@settings_page
def stage(request: PageRequest, stage_id: int) -> HttpResponse:
    """Save one stage's name, outcome and probability, or move it up or down."""
    found = selectors.stage_get(actor=request.user, stage_id=stage_id)  # 404 first
    what = request.POST.get("do", "")
    try:
        if what in ("up", "down"):
            manage_services.stage_step(actor=request.user, stage_id=stage_id,
                                       step=-1 if what == "up" else 1)  # fmt: skip
        elif what == "save":
            form = StageForm(request.POST)
            if not form.is_valid():
                field, errors = next(iter(form.errors.items()))
                label = form.fields[field].label if field in form.fields else ""
                raise DomainError(field, f"{label}: {' '.join(str(e) for e in errors)}")
            services.stage_update(actor=request.user, stage_id=stage_id, data=form.cleaned_data)
        else:
            raise DomainError("do", _("Unknown action."))
    except (DomainError, ValidationError) as exc:
        messages.error(request, _("Nothing was saved.") + " " + _message(exc))
    else:
        messages.success(request, _("Stages saved."))
    back = reverse("crm_settings:pipeline", args=[found.pipeline_id])
    return HttpResponseRedirect(f"{back}#stage-{stage_id}")


@require_http_methods(["GET", "POST"])
@settings_page
def stage_delete(request: PageRequest, stage_id: int) -> HttpResponse:
    """Ask, then remove a stage; when it holds deals, the admin picks the stage they move to."""
    found = selectors.stage_get(actor=request.user, stage_id=stage_id)  # 404 first
    held = selectors.stage_deal_counts(actor=request.user, pipeline_id=found.pipeline_id)
    error, status = "", 200
    if request.method == "POST":
        move_to = request.POST.get("move_to", "")
        try:
            moved = manage_services.stage_delete(
                actor=request.user, stage_id=stage_id,
                move_to_id=int(move_to) if move_to.isdigit() else None,
            )  # fmt: skip
        except DomainError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, _("Stage “%(name)s” removed; %(n)s deals moved.")
                             % {"name": found.name, "n": moved})  # fmt: skip
            return HttpResponseRedirect(reverse("crm_settings:pipeline",
                                                args=[found.pipeline_id]))  # fmt: skip
    others = found.pipeline.stages.exclude(pk=found.pk).order_by("position", "pk")
    return render(request, "crm/settings/stage_delete.html", {
        "stage": found, "deal_count": held.get(found.pk, 0), "others": others, "error": error,
    }, status=status)  # fmt: skip
