"""Writes to deals (create, edit, move through stages) and to pipelines and stages (admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, can_create, get_scoped, require_role, scoped
from fieldcrm.accounts.models import Account, Activity
from fieldcrm.audit.tracking import audit_write
from fieldcrm.automation.models import EventType
from fieldcrm.automation.outbox import event_record
from fieldcrm.core.errors import DomainError
from fieldcrm.core.money import default_currency
from fieldcrm.deals.models import Deal, LostReason, Pipeline, Stage
from fieldcrm.users.models import User
from fieldcrm.users.selectors import owner_in_scope


def _pipeline_and_stage(data: dict[str, Any]) -> tuple[Pipeline, Stage]:
    stage = None
    if data.get("stage_id") is not None:
        stage = Stage.objects.select_related("pipeline").filter(pk=data["stage_id"]).first()
        if stage is None:
            raise DomainError("stage_id", _("No such stage."))
    pipeline_id = data.get("pipeline_id") or (stage.pipeline_id if stage else None)
    pipelines = Pipeline.objects.order_by("-is_default", "name", "id")
    pipeline = (pipelines.filter(pk=pipeline_id) if pipeline_id else pipelines).first()
    if pipeline is None:
        raise DomainError("pipeline_id", _("No such pipeline."))
    if stage is None:
        stage = pipeline.stages.order_by("position", "id").first()
        if stage is None:
            raise DomainError("stage_id", _("The pipeline has no stages."))
    if stage.pipeline_id != pipeline.pk:
        raise DomainError("stage_id", _("The stage belongs to another pipeline."))
    return pipeline, stage


@transaction.atomic
def deal_create(*, actor: User, data: dict[str, Any]) -> Deal:
    """A deal on an account the caller may change; a rep's deal is theirs by default."""
    if not can_create(Deal, actor):
        raise NotAllowed(_("Your role may not create deals."))
    account = scoped(Account, actor, write=True).filter(pk=data["account_id"]).first()
    if account is None:
        raise DomainError("account_id", _("No such account in your scope."))
    pipeline, stage = _pipeline_and_stage(data)
    deal = Deal(
        account=account,
        name=data["name"].strip(),
        pipeline=pipeline,
        stage=stage,
        amount=data.get("amount") or 0,
        currency=data.get("currency") or default_currency(),
        expected_close_on=data.get("expected_close_on"),
        owner=owner_in_scope(actor=actor, owner_id=data.get("owner_id")) or actor,
    )
    if stage.outcome != Stage.Outcome.OPEN:
        deal.closed_at = timezone.now()
    deal.full_clean()
    deal.save()
    audit_write(actor=actor, obj=deal, created=True)
    _deal_event(EventType.DEAL_CREATED, deal, actor)
    return deal


@transaction.atomic
def deal_update(*, actor: User, deal_id: int, data: dict[str, Any]) -> Deal:
    """Edit a deal's own fields; its stage changes only through ``deal_move``."""
    deal = get_scoped(Deal, actor, deal_id, write=True)
    if "owner_id" in data:
        deal.owner = owner_in_scope(actor=actor, owner_id=data.pop("owner_id"))
    for name, value in data.items():
        if value is None and name in ("name", "amount", "currency"):
            raise DomainError(name, _("This field cannot be empty."))
        setattr(deal, name, value)
    deal.full_clean()
    deal.save()
    audit_write(actor=actor, obj=deal)
    _deal_event(EventType.DEAL_CHANGED, deal, actor, changed=sorted(data))
    return deal


def deal_event_data(deal: Deal) -> dict[str, Any]:
    """The deal's plain values for automation rules and webhooks (the outbox event)."""
    return {
        "id": deal.pk, "name": deal.name, "account_id": deal.account_id,
        "account": deal.account.name, "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id, "stage": deal.stage.name, "outcome": deal.stage.outcome,
        "amount": deal.amount, "currency": deal.currency, "owner_id": deal.owner_id,
        "expected_close_on": deal.expected_close_on,
    }  # fmt: skip


def _deal_event(kind: str, deal: Deal, actor: User, **extra: Any) -> None:
    event_record(kind=kind, record_type="deal", record_id=deal.pk,
                 data={**deal_event_data(deal), **extra}, actor=actor)  # fmt: skip


class StaleDeal(Exception):
    """The move was based on an older copy of the deal than the server's."""

    def __init__(self, current: Deal) -> None:
        super().__init__(_("The deal changed since you loaded it."))
        self.current = current


@transaction.atomic
def deal_move(
    *,
    actor: User,
    deal_id: int,
    stage_id: int,
    based_on: dt.datetime | None = None,
    lost_reason_id: int | None = None,
) -> Deal:
    """Move a deal to another stage of its pipeline; won/lost close it; logged as an activity.
    With ``based_on`` (the ``updated_at`` the mover saw), a deal changed since is refused
    (StaleDeal, carrying the current copy) rather than moved from a state nobody saw. A move
    to a lost stage takes one of the offered lost reasons once the admin keeps a list."""
    deal = get_scoped(Deal, actor, deal_id, write=True)
    if based_on is not None:
        deal = Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)
        if deal.updated_at != based_on:
            raise StaleDeal(deal)
    stage = Stage.objects.filter(pk=stage_id, pipeline_id=deal.pipeline_id).first()
    if stage is None:
        raise DomainError("stage_id", _("No such stage in this deal's pipeline."))
    reason = _lost_reason(stage, lost_reason_id)
    if stage.pk == deal.stage_id and reason == deal.lost_reason:
        return deal
    return deal_restage(actor=actor, deal=deal, stage=stage, reason=reason)


def deal_restage(
    *, actor: User, deal: Deal, stage: Stage, reason: LostReason | None = None
) -> Deal:
    """Put ``deal`` (already checked: in scope, same pipeline) in ``stage``: closed or reopened,
    audited, logged on the timeline and sent to automation, as every stage change is (a move
    on the board, or the deals of a deleted stage). Call inside a transaction."""
    previous = deal.stage
    deal.stage = stage
    deal.lost_reason = reason
    deal.closed_at = None if stage.outcome == Stage.Outcome.OPEN else timezone.now()
    deal.full_clean()
    deal.save()
    audit_write(actor=actor, obj=deal)
    Activity.objects.create(
        account_id=deal.account_id,
        kind=Activity.Kind.DEAL_MOVE,
        actor=actor,
        occurred_at=timezone.now(),
        details={"old": previous.pk, "new": stage.pk},
        subject=_("Deal %(deal)s moved from %(old)s to %(new)s")
        % {"deal": deal.name, "old": previous.name, "new": stage.name},
        deal=deal,
    )
    _deal_event(EventType.DEAL_STAGE_ENTERED, deal, actor,
                previous_stage_id=previous.pk, previous_stage=previous.name)  # fmt: skip
    return deal


class LostReasonNeeded(DomainError):
    """A move to a lost stage without a reason while the admin keeps a list of them."""

    def __init__(self) -> None:
        super().__init__("lost_reason_id", _("Choose why the deal was lost."))


def _lost_reason(stage: Stage, lost_reason_id: int | None) -> LostReason | None:
    if stage.outcome != Stage.Outcome.LOST:
        return None  # reopened or won: the old reason no longer applies
    offered = LostReason.objects.filter(is_active=True)
    if lost_reason_id is None:
        if offered.exists():
            raise LostReasonNeeded()
        return None
    reason = offered.filter(pk=lost_reason_id).first()
    if reason is None:
        raise DomainError("lost_reason_id", _("No such lost reason."))
    return reason


# --- Lost reasons: configuration, admins only. ---


def _save_reason(reason: LostReason) -> LostReason:
    if LostReason.objects.filter(name__iexact=reason.name.strip()).exclude(pk=reason.pk).exists():
        raise DomainError("name", _("This lost reason is already in the list."))
    reason.full_clean()
    reason.save()
    return reason


@transaction.atomic
def lost_reason_create(*, actor: User, name: str) -> LostReason:
    """A new reason, offered last."""
    if not can_create(LostReason, actor):
        raise NotAllowed(_("Only admins keep the lost reasons."))
    last = LostReason.objects.order_by("-position").values_list("position", flat=True).first()
    return _save_reason(LostReason(name=name.strip(), position=(last or 0) + 1))


@transaction.atomic
def lost_reason_update(
    *, actor: User, reason_id: int, name: str | None = None, is_active: bool | None = None
) -> LostReason:
    """Rename a reason, or retire it (it stays on the deals that carry it) or offer it again."""
    reason = get_scoped(LostReason, actor, reason_id, write=True)
    if name is not None:
        reason.name = name.strip()
    if is_active is not None:
        reason.is_active = is_active
    return _save_reason(reason)


@transaction.atomic
def lost_reason_move(*, actor: User, reason_id: int, step: int) -> list[LostReason]:
    """Swap a reason with its neighbour (step -1 up, +1 down); positions renumbered 1..n."""
    get_scoped(LostReason, actor, reason_id, write=True)
    reasons = list(LostReason.objects.select_for_update().order_by("position", "pk"))
    at = next(i for i, r in enumerate(reasons) if r.pk == reason_id)
    to = at + (1 if step > 0 else -1)
    if 0 <= to < len(reasons):
        reasons[at], reasons[to] = reasons[to], reasons[at]
    for position, reason in enumerate(reasons, start=1):
        reason.position = position
    LostReason.objects.bulk_update(reasons, ["position"])
    return reasons


@transaction.atomic
def lost_reason_reorder(*, actor: User, reason_ids: list[int]) -> list[LostReason]:
    """Put every reason in the order of ``reason_ids`` (each once); positions renumbered 1..n."""
    if not can_create(LostReason, actor):
        raise NotAllowed(_("Only admins keep the lost reasons."))
    reasons = {r.pk: r for r in LostReason.objects.select_for_update()}
    if sorted(reason_ids) != sorted(reasons):
        raise DomainError("reason", _("The order must name every lost reason once; reload the "
                                      "page and try again."))  # fmt: skip
    ordered = [reasons[pk] for pk in reason_ids]
    for position, reason in enumerate(ordered, start=1):
        reason.position = position
    LostReason.objects.bulk_update(ordered, ["position"])
    return ordered


# --- Pipelines and stages: configuration, admins only. ---


def _check_positions(stages: list[dict[str, Any]]) -> None:
    positions = [s["position"] for s in stages]
    if len(set(positions)) != len(positions):
        raise DomainError("stages", _("Stage positions must be unique."))
    names = [s["name"].strip().lower() for s in stages]
    if len(set(names)) != len(names):
        raise DomainError("stages", _("Stage names must be unique."))


def _unset_other_defaults(pipeline: Pipeline) -> None:
    if pipeline.is_default:
        Pipeline.objects.exclude(pk=pipeline.pk).update(is_default=False)


@transaction.atomic
def pipeline_create(*, actor: User, data: dict[str, Any]) -> Pipeline:
    """A pipeline with its ordered stages (unique positions and names)."""
    require_role(actor)
    stages = data.get("stages") or []
    _check_positions(stages)
    pipeline = Pipeline(name=data["name"].strip(), is_default=data.get("is_default", False))
    pipeline.full_clean()
    pipeline.save()
    _unset_other_defaults(pipeline)
    for spec in stages:
        stage = Stage(pipeline=pipeline, **spec)
        stage.full_clean()
        stage.save()
    return pipeline


@transaction.atomic
def pipeline_update(*, actor: User, pipeline_id: int, data: dict[str, Any]) -> Pipeline:
    pipeline = get_scoped(Pipeline, actor, pipeline_id, write=True)
    for name, value in data.items():
        if value is None:
            raise DomainError(name, _("This field cannot be empty."))
        setattr(pipeline, name, value)
    pipeline.full_clean()
    pipeline.save()
    _unset_other_defaults(pipeline)
    return pipeline


def _save_stage(stage: Stage) -> Stage:
    clash = Stage.objects.filter(pipeline_id=stage.pipeline_id).exclude(pk=stage.pk)
    if clash.filter(position=stage.position).exists():
        raise DomainError("position", _("Another stage of this pipeline has this position."))
    if clash.filter(name__iexact=stage.name).exists():
        raise DomainError("name", _("Another stage of this pipeline has this name."))
    stage.full_clean()
    stage.save()
    return stage


@transaction.atomic
def stage_create(*, actor: User, pipeline_id: int, data: dict[str, Any]) -> Stage:
    pipeline = get_scoped(Pipeline, actor, pipeline_id, write=True)
    return _save_stage(Stage(pipeline=pipeline, **data))


@transaction.atomic
def stage_update(*, actor: User, stage_id: int, data: dict[str, Any]) -> Stage:
    """Edit a stage; a pipeline's last open, won or lost stage keeps its outcome."""
    stage = get_scoped(Stage, actor, stage_id, write=True)
    for name, value in data.items():
        if value is None:
            raise DomainError(name, _("This field cannot be empty."))
        setattr(stage, name, value)
    outcomes_kept(pipeline_id=stage.pipeline_id, field="outcome", changed=stage)
    return _save_stage(stage)


def outcomes_kept(
    *, pipeline_id: int, field: str, changed: Stage | None = None, removed: Stage | None = None
) -> None:
    """Refuse a stage change or removal that takes away the pipeline's last open, won or lost
    stage: the board needs somewhere to put a new deal and somewhere to close it. A pipeline
    made without one (the API allows it) is not refused for what it never had."""
    rows = list(Stage.objects.filter(pipeline_id=pipeline_id).values_list("pk", "outcome"))
    before = {outcome for _pk, outcome in rows}
    after = {
        (changed.outcome if changed is not None and pk == changed.pk else outcome)
        for pk, outcome in rows
        if removed is None or pk != removed.pk
    }
    for outcome in Stage.Outcome:
        if outcome in before and outcome not in after:
            raise DomainError(
                field,
                _("A pipeline keeps at least one “%(outcome)s” stage: this is its last one.")
                % {"outcome": outcome.label},
            )
