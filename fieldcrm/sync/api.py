"""/api/v1/sync: the phone's pull and push (DESIGN.md, "Offline sync")."""

import uuid

from ninja import Field, Query, Router, Status

from fieldcrm.core.schemas import Input
from fieldcrm.sync import selectors, services
from fieldcrm.sync.schemas import (
    KNOWN_EPOCH_DOC,
    EpochChangedOut,
    PullOut,
    PushIn,
    PushOut,
    TodayOut,
)
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["sync"])


class PullParams(Input):
    cursor: int = Field(0, ge=0)
    limit: int = Field(selectors.DEFAULT_PAGE, ge=1, le=selectors.MAX_PAGE)
    tombstones_since: int | None = Field(
        None, ge=0, description="With cursor 0: the cursor of the head start already stored"
    )
    epoch: uuid.UUID | None = Field(None, description=KNOWN_EPOCH_DOC)


@router.get("/pull", response=PullOut)
def sync_pull(request: ApiRequest, params: Query[PullParams]):
    """Changes since ``cursor`` (0 for a fresh install), a page at a time."""
    return selectors.sync_pull(
        actor=request.auth,
        cursor=params.cursor,
        limit=params.limit,
        tombstones_since=params.tombstones_since,
        epoch=str(params.epoch) if params.epoch else None,
    )


@router.get("/today", response=TodayOut)
def sync_today(request: ApiRequest):
    """A fresh install's head start: today's route, its accounts and contacts, open tasks.
    Not a cursor step: the pull sends these rows again."""
    return selectors.sync_today(actor=request.auth)


@router.post("/push", response={200: PushOut, 409: EpochChangedOut})
def sync_push(request: ApiRequest, payload: PushIn):
    """Apply a batch of mutations; one result per mutation, in order. A batch naming another
    epoch than the server's applies nothing (409): the phone re-sends its journal first."""
    known = str(payload.epoch) if payload.epoch else None
    try:
        results = services.sync_push(actor=request.auth, mutations=payload.mutations, epoch=known)
    except services.EpochChanged as exc:
        return Status(409, {"detail": str(exc), "code": "epoch_changed", "epoch": exc.epoch})
    cursor, epoch = selectors.sync_state()
    return {"epoch": epoch, "results": results, "cursor": cursor}
