"""/api/v1/accounts: list (filters, near, bbox), GeoJSON, create, read, patch, soft delete;
contacts and the activity timeline of an account."""

import uuid

from ninja import Query, Router, Status
from ninja.pagination import paginate

from fieldcrm.accounts import selectors, services
from fieldcrm.accounts.schemas import (
    AccountFilters,
    AccountIn,
    AccountMergeIn,
    AccountOut,
    AccountPage,
    AccountPatch,
    ActivityIn,
    ActivityOut,
    ContactIn,
    ContactOut,
    ContactPatch,
    DuplicateOut,
    DuplicateQuery,
    parse_near,
)
from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import MAX_LIMIT, Page, PageIn
from fieldcrm.crm.segments import segment_among
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["accounts"])


@router.get("/accounts", response=AccountPage)
def list_accounts(request: ApiRequest, filters: Query[AccountFilters], page: Query[PageIn]):
    """Accounts in your scope; ordered by distance when ``near`` is given, else by name."""
    reject_unknown_params(request, AccountFilters)
    among = segment_among(actor=request.auth, segment_id=filters.segment)
    return selectors.account_page(
        actor=request.auth, filters=filters, offset=page.offset, limit=page.limit, among=among
    )


@router.get("/accounts.geojson", response=dict)
def list_accounts_geojson(
    request: ApiRequest, filters: Query[AccountFilters], limit: int = MAX_LIMIT * 20
):
    """The same filters as the list, as a GeoJSON FeatureCollection (up to ``limit``)."""
    reject_unknown_params(request, AccountFilters, extra=("limit",))
    among = segment_among(actor=request.auth, segment_id=filters.segment)
    return selectors.account_feature_collection(
        actor=request.auth, filters=filters, limit=limit, among=among
    )


@router.post("/accounts", response={201: AccountOut})
def create_account(request: ApiRequest, payload: AccountIn):
    return Status(
        201, services.account_create_by(actor=request.auth, data=payload.dict(exclude_unset=True))
    )


@router.get("/accounts/duplicates", response=list[DuplicateOut])
def list_duplicates(request: ApiRequest, query: Query[DuplicateQuery]):
    """Accounts in your scope that may be the one described (the same e-mail; the same phone's
    last 9 digits; a similar name within 100 m of ``near``): check before creating one."""
    reject_unknown_params(request, DuplicateQuery)
    lat_lng = parse_near(query.near) if query.near else None
    hits = selectors.account_duplicates(
        actor=request.auth, name=query.name or "", email=query.email or "",
        phone=query.phone or "", location=(lat_lng[1], lat_lng[0]) if lat_lng else None,
        exclude_id=query.exclude,
    )  # fmt: skip
    return [{"id": a.pk, "name": a.name, "why": why} for a, why in hits]


@router.post("/accounts/{account_id}/merge", response=AccountOut)
def merge_account(request: ApiRequest, account_id: uuid.UUID, payload: AccountMergeIn):
    """Merge ``merge_id`` into this account (managers and admins): its contacts, deals,
    visits, tasks and timeline move here, tags join, ``take`` picks its values for those
    fields; it becomes a tombstone that phones drop on their next sync."""
    return services.account_merge(
        actor=request.auth, keep_id=account_id, merge_id=payload.merge_id,
        take=[str(name) for name in payload.take],
    )  # fmt: skip


@router.get("/accounts/{account_id}", response=AccountOut)
def get_account(request: ApiRequest, account_id: uuid.UUID):
    return selectors.account_get(actor=request.auth, account_id=account_id)


@router.patch("/accounts/{account_id}", response=AccountOut)
def update_account(request: ApiRequest, account_id: uuid.UUID, payload: AccountPatch):
    return services.account_update_by(
        actor=request.auth, account_id=account_id, data=payload.dict(exclude_unset=True)
    )


@router.delete("/accounts/{account_id}", response={204: None})
def delete_account(request: ApiRequest, account_id: uuid.UUID):
    services.account_delete_by(actor=request.auth, account_id=account_id)
    return Status(204, None)


@router.get("/accounts/{account_id}/contacts", response=list[ContactOut])
def list_contacts(request: ApiRequest, account_id: uuid.UUID):
    return selectors.contact_list(actor=request.auth, account_id=account_id)


@router.post("/accounts/{account_id}/contacts", response={201: ContactOut})
def create_contact(request: ApiRequest, account_id: uuid.UUID, payload: ContactIn):
    return Status(
        201,
        services.contact_create(
            actor=request.auth, account_id=account_id, data=payload.dict(exclude_unset=True)
        ),
    )


@router.patch("/contacts/{contact_id}", response=ContactOut)
def update_contact(request: ApiRequest, contact_id: uuid.UUID, payload: ContactPatch):
    return services.contact_update(
        actor=request.auth, contact_id=contact_id, data=payload.dict(exclude_unset=True)
    )


@router.delete("/contacts/{contact_id}", response={204: None})
def delete_contact(request: ApiRequest, contact_id: uuid.UUID):
    services.contact_delete(actor=request.auth, contact_id=contact_id)
    return Status(204, None)


@router.get("/accounts/{account_id}/activities", response=list[ActivityOut])
@paginate(Page)
def list_activities(request: ApiRequest, account_id: uuid.UUID):
    """The account's interaction history, newest first."""
    return selectors.activity_list(actor=request.auth, account_id=account_id)


@router.post("/accounts/{account_id}/activities", response={201: ActivityOut})
def create_activity(request: ApiRequest, account_id: uuid.UUID, payload: ActivityIn):
    return Status(
        201,
        services.activity_create(
            actor=request.auth, account_id=account_id, data=payload.dict(exclude_unset=True)
        ),
    )
