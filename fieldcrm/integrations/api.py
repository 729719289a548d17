"""The inbound webhooks a PBX and a messenger gateway post to (README, "Telephony and
messengers"). No login and no CSRF: each post is signed with its integration's secret
(``FieldCRM-Signature``, HMAC-SHA256 of ``<FieldCRM-Timestamp>.<body>``), checked on the raw
bytes before the body is read."""

from django.http import HttpRequest
from ninja import Router

from fieldcrm.integrations import services
from fieldcrm.integrations.schemas import CallEventIn, CallEventOut, MessageIn, MessageOut

router = Router(tags=["integrations"])


def _openapi(schema: type[CallEventIn] | type[MessageIn]) -> dict:
    headers = [
        {"name": services.TIMESTAMP_HEADER, "in": "header", "required": True,
         "schema": {"type": "string"}, "description": "Unix seconds; refused if 5 minutes off"},
        {"name": services.SIGNATURE_HEADER, "in": "header", "required": True,
         "schema": {"type": "string"}, "description": "v1= hex HMAC-SHA256 of "
         "'<timestamp>.<body>' with the integration's secret"},
    ]  # fmt: skip
    body = {
        "required": True,
        "content": {"application/json": {"schema": schema.model_json_schema()}},
    }
    return {"requestBody": body, "parameters": headers}


def _headers(request: HttpRequest) -> dict[str, str]:
    names = (services.TIMESTAMP_HEADER, services.SIGNATURE_HEADER)
    return {name: request.headers.get(name, "") for name in names}


@router.post("/integrations/{integration_id}/calls", auth=None, response=CallEventOut,
             openapi_extra=_openapi(CallEventIn))  # fmt: skip
def receive_call_event(request: HttpRequest, integration_id: int):
    """A PBX's call event (ringing, answered, ended). The same event_id again changes nothing
    and answers the same; 401 names ``timestamp`` or ``signature``, 422 the field."""
    return services.call_event_receive(integration_id=integration_id, headers=_headers(request),
                                       body=request.body)  # fmt: skip


@router.post("/integrations/{integration_id}/messages", auth=None, response=MessageOut,
             openapi_extra=_openapi(MessageIn))  # fmt: skip
def receive_message(request: HttpRequest, integration_id: int):
    """A messenger message to us. A known number lands on its account's timeline; an unknown
    sender becomes a lead. The same message_id again changes nothing and answers the same."""
    return services.message_receive(integration_id=integration_id, headers=_headers(request),
                                    body=request.body)  # fmt: skip
