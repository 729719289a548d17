"""/api/v1/users and /api/v1/custom-fields: admin management endpoints.

Admins list, create and change users; a manager may list (and read) their region's users;
nobody else. Everyone reads custom-field definitions; admins change them.
"""

from django.contrib.auth import update_session_auth_hash
from ninja import Query, Router, Status
from ninja.pagination import paginate

from fieldcrm.accounts.services import accounts_reassign_owner
from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import Page
from fieldcrm.users import manage_selectors as selectors
from fieldcrm.users import manage_services as services
from fieldcrm.users.auth import VIA_TOKEN, ApiRequest
from fieldcrm.users.schemas import (
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldPatch,
    ReassignAccountsIn,
    ReassignAccountsOut,
    RevokeAccessOut,
    UserFilters,
    UserIn,
    UserOut,
    UserPatch,
)

router = Router(tags=["admin"])


@router.get("/users", response=list[UserOut])
@paginate(Page)
def list_users(request: ApiRequest, filters: Query[UserFilters]):
    reject_unknown_params(request, UserFilters)
    return selectors.user_list(actor=request.auth, filters=filters)


@router.post("/users", response={201: UserOut})
def create_user(request: ApiRequest, payload: UserIn):
    return Status(201, services.user_create(actor=request.auth, data=payload.dict()))


@router.get("/users/{user_id}", response=UserOut)
def get_user(request: ApiRequest, user_id: int):
    return selectors.user_get(actor=request.auth, user_id=user_id)


@router.patch("/users/{user_id}", response=UserOut)
def update_user(request: ApiRequest, user_id: int, payload: UserPatch):
    user = services.user_update(
        actor=request.auth, user_id=user_id, data=payload.dict(exclude_unset=True)
    )
    if payload.password and user.pk == request.auth.pk and not getattr(request, VIA_TOKEN, 0):
        # Your own new password keeps this browser signed in (Django's password change does
        # the same); your other sessions and your tokens end.
        update_session_auth_hash(request, user)
    return user


@router.post("/users/{user_id}/revoke-access", response=RevokeAccessOut)
def revoke_user_access(request: ApiRequest, user_id: int):
    """End the user's sessions and tokens now (a lost phone, a rep who leaves); their phone
    wipes its local data the next time it reaches the server."""
    return services.user_revoke_access_by(actor=request.auth, user_id=user_id)


@router.post("/users/{user_id}/reassign-accounts", response=ReassignAccountsOut)
def reassign_user_accounts(request: ApiRequest, user_id: int, payload: ReassignAccountsIn):
    """Every account in your scope owned by this user goes to ``to_user_id``, all or nothing."""
    count = accounts_reassign_owner(
        actor=request.auth, from_user_id=user_id, to_user_id=payload.to_user_id
    )
    return {"reassigned": count}


@router.get("/custom-fields", response=list[CustomFieldOut])
def list_custom_fields(request: ApiRequest):
    return selectors.custom_field_list(actor=request.auth)


@router.post("/custom-fields", response={201: CustomFieldOut})
def create_custom_field(request: ApiRequest, payload: CustomFieldIn):
    return Status(201, services.custom_field_create(actor=request.auth, data=payload.dict()))


@router.get("/custom-fields/{field_id}", response=CustomFieldOut)
def get_custom_field(request: ApiRequest, field_id: int):
    return selectors.custom_field_get(actor=request.auth, field_id=field_id)


@router.patch("/custom-fields/{field_id}", response=CustomFieldOut)
def update_custom_field(request: ApiRequest, field_id: int, payload: CustomFieldPatch):
    return services.custom_field_update(
        actor=request.auth, field_id=field_id, data=payload.dict(exclude_unset=True)
    )


@router.delete("/custom-fields/{field_id}", response={204: None})
def delete_custom_field(request: ApiRequest, field_id: int):
    services.custom_field_delete(actor=request.auth, field_id=field_id)
    return Status(204, None)
