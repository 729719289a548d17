"""Reads of deals, pipelines and stages; the pipeline board. All from the caller's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum

from fieldcrm.access import get_scoped, scoped
from fieldcrm.core.money import CENT, totals_by_currency
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.deals.schemas import DealFilters
from fieldcrm.users.models import User


def deal_list(*, actor: User, filters: DealFilters) -> QuerySet[Deal]:
    """The caller's deals, most recently changed first, ties by id."""
    qs = scoped(Deal, actor).select_related("account", "stage", "lost_reason")
    if filters.pipeline is not None:
        qs = qs.filter(pipeline_id=filters.pipeline)
    if filters.stage is not None:
        qs = qs.filter(stage_id=filters.stage)
    if filters.owner is not None:
        qs = qs.filter(owner_id=filters.owner)
    if filters.account is not None:
        qs = qs.filter(account_id=filters.account)
    if filters.status is not None:
        qs = qs.filter(stage__outcome=filters.status)
    return qs.order_by("-updated_at", "-id")


def deal_get(*, actor: User, deal_id: int) -> Deal:
    return get_scoped(Deal, actor, deal_id)


def pipeline_list(*, actor: User) -> QuerySet[Pipeline]:
    """Every pipeline the caller may read, with its stages in order."""
    stages = Prefetch("stages", queryset=scoped(Stage, actor).order_by("position", "id"))
    return scoped(Pipeline, actor).prefetch_related(stages).order_by("name", "id")


def pipeline_get(*, actor: User, pipeline_id: int) -> Pipeline:
    return get_scoped(Pipeline, actor, pipeline_id)


def _stage_totals(deals: QuerySet[Deal]) -> dict[int, dict[str, Any]]:
    """Per stage id: the count and, per currency, the amount of the given (scoped) deals."""
    rows = (
        deals.order_by()
        .values("stage_id", "currency")
        .annotate(count=Count("id"), amount_sum=Sum("amount"))
    )
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        stage = out.setdefault(r["stage_id"], {"count": 0, "amounts": []})
        stage["count"] += r["count"]
        stage["amounts"].append({"currency": r["currency"], "amount": r["amount_sum"]})
    return out


def _weighted(totals: list[dict[str, Any]], probability: int) -> list[dict[str, Any]]:
    return [{**t, "weighted": (t["amount"] * probability / 100).quantize(CENT)} for t in totals]


def pipeline_board(
    *, actor: User, pipeline_id: int, deals: QuerySet[Deal] | None = None
) -> dict[str, Any]:
    """Per stage of a pipeline: how many deals the caller may see and, per currency, their
    amount and the amount weighted by the stage's win probability. ``deals``: a narrower set
    than the caller's scope (the board's filters), itself scoped."""
    pipeline = pipeline_get(actor=actor, pipeline_id=pipeline_id)
    seen = scoped(Deal, actor) if deals is None else deals
    by_stage = _stage_totals(seen.filter(pipeline=pipeline))
    stages = []
    for stage in scoped(Stage, actor).filter(pipeline=pipeline).order_by("position", "id"):
        row = by_stage.get(stage.pk, {"count": 0, "amounts": []})
        totals = _weighted(totals_by_currency(row["amounts"]), stage.probability)
        stages.append(
            {
                "id": stage.pk,
                "pipeline_id": pipeline.pk,
                "name": stage.name,
                "position": stage.position,
                "probability": stage.probability,
                "outcome": stage.outcome,
                "count": row["count"],
                "totals": totals,
            }
        )
    return {
        "pipeline_id": pipeline.pk,
        "name": pipeline.name,
        "stages": stages,
        "count": sum(s["count"] for s in stages),
        "totals": totals_by_currency(
            (t for s in stages for t in s["totals"]), keys=("amount", "weighted")
        ),
    }


def stage_deal_counts(*, actor: User, pipeline_id: int) -> dict[int, int]:
    """Per stage id of the pipeline: how many deals the caller may see in it."""
    rows = (
        scoped(Deal, actor).filter(pipeline_id=pipeline_id).order_by()
        .values("stage_id").annotate(n=Count("id"))
    )  # fmt: skip
    return {r["stage_id"]: r["n"] for r in rows}


def pipeline_deal_counts(*, actor: User) -> dict[int, int]:
    """Per pipeline id: how many deals the caller may see in it."""
    rows = scoped(Deal, actor).order_by().values("pipeline_id").annotate(n=Count("id"))
    return {r["pipeline_id"]: r["n"] for r in rows}


def stage_get(*, actor: User, stage_id: int) -> Stage:
    return get_scoped(Stage, actor, stage_id)
