"""The settings pages' writes to pipelines and stages (admins): a new pipeline with its three
starter stages, stages added, reordered and removed (their deals moved first), a pipeline
removed. The API's create and edit stay in services.py; both keep the same rules."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fieldcrm.access import get_scoped
from fieldcrm.core.errors import DomainError
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.deals.services import _save_stage, deal_restage, outcomes_kept, pipeline_create
from fieldcrm.users.models import User

# Positions are shifted this far up before they are written again: the (pipeline, position)
# constraint is checked row by row on both databases, so a swap written directly would collide.
_SHIFT = 10_000


@transaction.atomic
def pipeline_start(*, actor: User, name: str) -> Pipeline:
    """A new pipeline with one open, one won and one lost stage, which it always keeps."""
    starters = [
        {"name": _("New"), "position": 1, "probability": 10, "outcome": Stage.Outcome.OPEN},
        {"name": _("Won"), "position": 2, "probability": 100, "outcome": Stage.Outcome.WON},
        {"name": _("Lost"), "position": 3, "probability": 0, "outcome": Stage.Outcome.LOST},
    ]
    if Pipeline.objects.filter(name__iexact=name.strip()).exists():
        raise DomainError("name", _("Another pipeline has this name."))
    return pipeline_create(actor=actor, data={"name": name, "stages": starters})


@transaction.atomic
def pipeline_delete(*, actor: User, pipeline_id: int) -> None:
    """Remove a pipeline that holds no deal (a deal keeps its pipeline); never the last one."""
    pipeline = get_scoped(Pipeline, actor, pipeline_id, write=True)
    held = Deal.objects.filter(pipeline=pipeline).count()
    if held:
        message = _("This pipeline holds %(n)s deals: move them to another pipeline or delete "
                    "them first.") % {"n": held}  # fmt: skip
        raise DomainError("pipeline", message)
    if not Pipeline.objects.exclude(pk=pipeline.pk).exists():
        raise DomainError("pipeline", _("The last pipeline cannot be removed."))
    was_default = pipeline.is_default
    pipeline.delete()
    if was_default:
        successor = Pipeline.objects.order_by("name", "pk").first()
        if successor is not None:
            Pipeline.objects.filter(pk=successor.pk).update(is_default=True)


def _write_order(pipeline_id: int, ordered: list[Stage]) -> list[Stage]:
    """Positions 1..n in the given order (two updates: up out of the way, then into place)."""
    Stage.objects.filter(pipeline_id=pipeline_id).update(position=F("position") + _SHIFT)
    for position, stage in enumerate(ordered, start=1):
        stage.position = position
    Stage.objects.bulk_update(ordered, ["position"])
    return ordered


def _stages(pipeline_id: int) -> list[Stage]:
    return list(
        Stage.objects.select_for_update().filter(pipeline_id=pipeline_id).order_by("position", "pk")
    )


@transaction.atomic
def stage_add(*, actor: User, pipeline_id: int, data: dict[str, Any]) -> Stage:
    """A new stage, placed after the pipeline's last open stage (before won and lost) when it is
    open, else last; the admin drags it elsewhere."""
    pipeline = get_scoped(Pipeline, actor, pipeline_id, write=True)
    ordered = _stages(pipeline.pk)
    stage = _save_stage(Stage(pipeline=pipeline, position=_SHIFT * 2, **data))
    opens = [i for i, s in enumerate(ordered) if s.outcome == Stage.Outcome.OPEN]
    at = opens[-1] + 1 if stage.outcome == Stage.Outcome.OPEN and opens else len(ordered)
    ordered.insert(at, stage)
    _write_order(pipeline.pk, ordered)
    return stage


@transaction.atomic
def stage_reorder(*, actor: User, pipeline_id: int, stage_ids: list[int]) -> list[Stage]:
    """Put the pipeline's stages in the order of ``stage_ids`` (every stage, once each)."""
    pipeline = get_scoped(Pipeline, actor, pipeline_id, write=True)
    stages = {s.pk: s for s in _stages(pipeline.pk)}
    if sorted(stage_ids) != sorted(stages):
        raise DomainError("stage", _("The order must name every stage of the pipeline once; "
                                     "reload the page and try again."))  # fmt: skip
    return _write_order(pipeline.pk, [stages[pk] for pk in stage_ids])


@transaction.atomic
def stage_step(*, actor: User, stage_id: int, step: int) -> list[Stage]:
    """Swap a stage with its neighbour (step -1: earlier, +1: later); at an end, no change."""
    stage = get_scoped(Stage, actor, stage_id, write=True)
    ordered = _stages(stage.pipeline_id)
    at = next(i for i, s in enumerate(ordered) if s.pk == stage.pk)
    to = at + (1 if step > 0 else -1)
    if 0 <= to < len(ordered):
        ordered[at], ordered[to] = ordered[to], ordered[at]
    return _write_order(stage.pipeline_id, ordered)


@transaction.atomic
def stage_delete(*, actor: User, stage_id: int, move_to_id: int | None = None) -> int:
    """Remove a stage; its deals first go to ``move_to_id`` (another stage of the pipeline),
    each logged as a move. All or nothing. Returns how many deals moved."""
    stage = get_scoped(Stage, actor, stage_id, write=True)
    outcomes_kept(pipeline_id=stage.pipeline_id, field="stage", removed=stage)
    deals = list(Deal.objects.select_for_update().filter(stage=stage).select_related("account"))
    if deals:
        target = (
            Stage.objects.filter(pk=move_to_id, pipeline_id=stage.pipeline_id)
            .exclude(pk=stage.pk)
            .first()
            if move_to_id is not None
            else None
        )
        if target is None:
            raise DomainError("move_to", _("Choose the stage this stage's deals move to."))
        for deal in deals:
            deal.stage = stage  # the loaded relation, for the move's "from"
            deal_restage(actor=actor, deal=deal, stage=target)
    stage.delete()
    _write_order(stage.pipeline_id, _stages(stage.pipeline_id))
    return len(deals)
