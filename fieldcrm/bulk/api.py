"""/api/v1/bulk-changes: preview, apply and undo a change of many accounts at once."""

from ninja import Router, Status

from fieldcrm.access import NotInScope
from fieldcrm.bulk import selectors, services
from fieldcrm.bulk.models import BulkChange
from fieldcrm.bulk.schemas import BulkChangeIn, BulkChangeOut, BulkPreviewOut, BulkUndoIn
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["bulk changes"])


@router.post("/bulk-changes/preview", response=BulkPreviewOut)
def preview_bulk_change(request: ApiRequest, payload: BulkChangeIn):
    """What the change would do (count and names; refused ones with the reason). Writes nothing."""
    return services.bulk_change_preview(actor=request.auth, **payload.dict())


@router.post("/bulk-changes", response={201: BulkChangeOut})
def apply_bulk_change(request: ApiRequest, payload: BulkChangeIn):
    """Apply to every account the preview would change, in one transaction; recorded for undo."""
    change, _summary = services.bulk_change_apply(actor=request.auth, **payload.dict())
    return Status(201, selectors.bulk_change_summary(change=change))


@router.get("/bulk-changes/last", response=BulkChangeOut)
def get_last_bulk_change(request: ApiRequest):
    """Your last bulk change (the one an undo takes back), or 404."""
    change = selectors.bulk_change_last(actor=request.auth)
    if change is None:
        raise NotInScope(BulkChange)
    return selectors.bulk_change_summary(change=change)


@router.post("/bulk-changes/last/undo", response=BulkChangeOut)
def undo_bulk_change(request: ApiRequest, payload: BulkUndoIn):
    """Put back what your last bulk change replaced, where nobody changed it since."""
    change = services.bulk_change_undo(actor=request.auth, change_id=payload.id)
    return selectors.bulk_change_summary(change=change)
