"""The JSON API: one NinjaAPI, each app's router mounted under /api/v1/.

Every error is JSON in one shape, ``{"detail": [{"loc": [...], "msg": "..."}]}`` (ninja's own
validation shape), or ``{"detail": "..."}`` where no field is involved (404, 403, 429); a 401
adds a machine-readable ``code`` (users/auth.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from fieldcrm.access import NotAllowed, NotInScope
from fieldcrm.accounts.schemas import AccountOut
from fieldcrm.accounts.services import VersionConflict
from fieldcrm.attachments.photos import OffsetMismatch
from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.integrations.services import SignatureRefused
from fieldcrm.territories.balancing import StaleProposal
from fieldcrm.users.auth import API_AUTH, auth_failure_code
from fieldcrm.users.services import TooManyAttempts


class FieldCRMAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # Handler names are the operationIds and the URL names (STYLE 2.3).
        return operation.view_func.__name__


api = FieldCRMAPI(
    title="FieldCRM API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    auth=API_AUTH,
)


def _error(request: HttpRequest, status: int, fields: list[tuple[str, str]]) -> HttpResponse:
    detail = [{"loc": ["body", *field.split(".")], "msg": msg} for field, msg in fields]
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if exc.field.startswith("query."):
        detail = [{"loc": ["query", exc.field[6:]], "msg": exc.message}]
        return api.create_response(request, {"detail": detail}, status=422)
    return _error(request, 422, [(exc.field, exc.message)])


@api.exception_handler(StaleProposal)
def on_stale_proposal(request: HttpRequest, exc: StaleProposal) -> HttpResponse:
    # A balanced-territories proposal whose region changed since (or a day old): propose again.
    return _error(request, 409, [(exc.field, exc.message)])


@api.exception_handler(SignatureRefused)
def on_signature_refused(request: HttpRequest, exc: SignatureRefused) -> HttpResponse:
    # A forged or stale post to an integration's webhook: not who it claims to be.
    detail = [{"loc": ["header", exc.field], "msg": exc.message}]
    return api.create_response(request, {"detail": detail}, status=401)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, validation_error_fields(exc))


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    # pydantic's own context objects (e.g. a ValueError) are not JSON; keep loc and msg.
    detail = [{"loc": list(e.get("loc", [])), "msg": str(e.get("msg", ""))} for e in exc.errors]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(NotInScope)
def on_not_in_scope(request: HttpRequest, exc: NotInScope) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=404)


@api.exception_handler(NotAllowed)
def on_not_allowed(request: HttpRequest, exc: NotAllowed) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


def _auth_messages() -> dict[str, str]:
    return {
        "revoked": _("Your access was revoked by an administrator; log in again."),
        "token_expired": _("This token has expired."),
        "token_revoked": _("This token was revoked."),
        "password_changed": _("This token ended when the password was changed."),
        "not_authenticated": _("Log in, or send a valid token."),
    }


@api.exception_handler(AuthenticationError)
def on_not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    # ``code`` tells a program what to do: a phone told "revoked" wipes its local data; any
    # other code keeps it (the outbox waits for the next login).
    code = auth_failure_code(request)
    body = {"detail": _auth_messages()[code], "code": code}
    return api.create_response(request, body, status=401)


@api.exception_handler(TooManyAttempts)
def on_too_many_attempts(request: HttpRequest, exc: TooManyAttempts) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=429)


@api.exception_handler(VersionConflict)
def on_version_conflict(request: HttpRequest, exc: VersionConflict) -> HttpResponse:
    body = {
        "detail": [{"loc": ["body", "version"], "msg": str(exc)}],
        "current": AccountOut.from_orm(exc.current).dict(),
    }
    return api.create_response(request, body, status=409)


@api.exception_handler(OffsetMismatch)
def on_offset_mismatch(request: HttpRequest, exc: OffsetMismatch) -> HttpResponse:
    # A resumable photo part sent at the wrong offset: the answer names the server's offset,
    # where the phone continues (nothing that arrived is sent again).
    body = {
        "detail": [{"loc": ["header", "Upload-Offset"], "msg": str(exc)}],
        "offset": exc.upload.received,
    }
    response = api.create_response(request, body, status=409)
    response["Upload-Offset"] = str(exc.upload.received)
    return response


def _mount() -> None:
    # One line per app router; each app owns its own paths below /api/v1.
    from fieldcrm.accounts.api import router as accounts
    from fieldcrm.accounts.api_io import router as accounts_io
    from fieldcrm.attachments.api import router as attachments
    from fieldcrm.automation.api import router as automation
    from fieldcrm.bulk.api import router as bulk
    from fieldcrm.deals.api import router as deals
    from fieldcrm.documents.api import router as documents
    from fieldcrm.emails.api import router as emails
    from fieldcrm.geocoding.api import router as geocoding
    from fieldcrm.integrations.api import router as integrations
    from fieldcrm.leads.api import router as leads
    from fieldcrm.notifications.api import router as notifications
    from fieldcrm.orders.api import router as orders
    from fieldcrm.plans.api import router as plans
    from fieldcrm.reports.api import router as reports
    from fieldcrm.search.api import router as search
    from fieldcrm.sync.api import router as sync
    from fieldcrm.tasks.api import router as tasks
    from fieldcrm.territories.api import router as territories
    from fieldcrm.users.api import router as auth
    from fieldcrm.users.api_manage import router as manage
    from fieldcrm.visits.api import router as visits

    api.add_router("/v1/auth", auth)
    api.add_router("/v1/sync", sync)
    # accounts_io first: its literal paths (/accounts/import, /accounts/export.csv) must win
    # over /accounts/{account_id}.
    for router in (
        accounts_io,
        accounts,
        visits,
        plans,
        deals,
        orders,
        documents,
        attachments,
        emails,
        tasks,
        territories,
        reports,
        leads,
        notifications,
        manage,
        bulk,
        automation,
        search,
        geocoding,
        integrations,
    ):
        api.add_router("/v1", router)


_mount()
