"""Lead capture: the public endpoint web forms on other sites post to.

No login and no CSRF (it is called from other sites); a per-form secret token in the path,
rate limits per client address and per form, and a honeypot field instead.
"""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError

from fieldcrm.core.errors import DomainError
from fieldcrm.leads import services
from fieldcrm.leads.schemas import HONEYPOT, LeadIn, LeadReceivedOut
from fieldcrm.users.services import client_ip

router = Router(tags=["leads"])

_BODY = {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": LeadIn.model_json_schema()},
    "application/json": {"schema": LeadIn.model_json_schema()},
}}  # fmt: skip


def _lead_in(request: HttpRequest) -> LeadIn:
    """The body as a LeadIn, form-encoded or JSON alike; bad input is a 422 naming the field."""
    if request.content_type == "application/json":
        try:
            data: Any = json.loads(request.body or b"{}")
        except ValueError:
            raise DomainError("body", _("The body is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise DomainError("body", _("Expected a JSON object."))
    else:
        data = request.POST.dict()
    if str(data.get(HONEYPOT) or "").strip():
        # A bot: skip validation, so the answer is the same 201 whatever else it sent.
        return LeadIn.model_construct(website_url=str(data[HONEYPOT]))
    try:
        return LeadIn.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": ["body", *map(str, e["loc"] or ["name"])], "msg": e["msg"]}
            for e in exc.errors()
        ]
        raise NinjaValidationError(errors) from None


@router.post(
    "/leads/forms/{token}",
    auth=None,
    response={201: LeadReceivedOut},
    openapi_extra={"requestBody": _BODY},
)
def submit_lead_form(request: HttpRequest, token: str, response: HttpResponse):
    """Send a lead (form-encoded or JSON). The same 201 answer whether stored or not."""
    headers = services.lead_submit(
        token=token, lead=_lead_in(request), ip=client_ip(request),
        origin=request.headers.get("Origin"),
    )  # fmt: skip
    for name, value in headers.items():
        response[name] = value
    return Status(201, {"received": True, "message": _("Thank you, we will be in touch.")})


@router.api_operation(["OPTIONS"], "/leads/forms/{token}", auth=None, response={204: None})
def preflight_lead_form(request: HttpRequest, token: str, response: HttpResponse):
    """CORS preflight for browsers posting JSON from an allowed origin."""
    headers = services.lead_preflight(token=token, origin=request.headers.get("Origin"))
    for name, value in headers.items():
        response[name] = value
    return Status(204, None)
