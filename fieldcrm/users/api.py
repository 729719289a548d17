"""Auth: session login/logout with CSRF for browsers and the PWA; personal API tokens."""

from django.contrib.auth import login, logout
from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Router, Status
from ninja.utils import check_csrf

from fieldcrm.access import NotInScope
from fieldcrm.core.schemas import ErrorOut
from fieldcrm.users import selectors, services
from fieldcrm.users.auth import ApiRequest, require_password_session
from fieldcrm.users.models import ApiToken
from fieldcrm.users.schemas import (
    LoginIn,
    MeOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)

router = Router(tags=["auth"])


@router.get("/csrf", auth=None, response={204: None})
def get_csrf(request: HttpRequest):
    """Sets the ``csrftoken`` cookie; send it back as ``X-CSRFToken`` on writes."""
    get_token(request)
    return Status(204, None)


@router.post("/login", auth=None, response=MeOut)
def login_session(request: HttpRequest, payload: LoginIn):
    """Log in with a session cookie. Throttled per account and per client address."""
    refused = check_csrf(request)
    if refused:
        return refused
    user = services.login_check(
        username=payload.username, password=payload.password, request=request
    )
    login(request, user)
    return selectors.user_me(actor=user)


@router.post("/logout", response={204: None})
def logout_session(request: HttpRequest):
    logout(request)
    return Status(204, None)


@router.get("/me", response=MeOut)
def get_me(request: ApiRequest):
    return selectors.user_me(actor=request.auth)


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request: ApiRequest):
    return selectors.token_list(actor=request.auth)


@router.post("/tokens", response={201: TokenCreatedOut, 403: ErrorOut})
def create_token(request: ApiRequest, payload: TokenIn):
    """A personal token (optionally expiring). Needs a password login: a token cannot mint one."""
    require_password_session(request)
    token, _secret = services.token_create(
        user=request.auth, name=payload.name, expires_at=payload.expires_at
    )
    return Status(201, token)


@router.delete("/tokens/{token_id}", response={204: None})
def revoke_token(request: ApiRequest, token_id: int):
    token = selectors.token_get(actor=request.auth, token_id=token_id)
    if token is None:
        raise NotInScope(ApiToken)
    services.token_revoke(token=token)
    return Status(204, None)
