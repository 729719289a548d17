"""Writes of the integrations: configuring them (admins), and what a PBX's call events and a
messenger's messages do — matched to an account by number, told to its owner, logged once on
its timeline; unknown numbers offered (calls) or made (messages) as leads.

Every post is checked before anything is read from it: the integration (404), its signature
over the raw body with a fresh timestamp (401 naming ``timestamp`` or ``signature``), then the
body (422 naming the field). A post is applied in one transaction that takes the change counter
first (``one_change_number``), so two posts about one call never interleave, and what it did
is kept with its event id: the same event again answers the same and changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticValidationError

from fieldcrm.access import NotInScope, get_scoped, require_role, scoped
from fieldcrm.accounts import matching
from fieldcrm.accounts.models import Account, Activity, ActivityKind, Contact
from fieldcrm.accounts.services import account_create
from fieldcrm.automation.webhooks import sign
from fieldcrm.core.errors import DomainError
from fieldcrm.core.models import one_change_number, write_transaction
from fieldcrm.integrations.models import (
    STATE_ORDER,
    Call,
    CallEvent,
    CallState,
    Extension,
    Integration,
    IntegrationKind,
    Message,
    new_secret,
)
from fieldcrm.integrations.schemas import CallEventIn, MessageIn
from fieldcrm.notifications import clock
from fieldcrm.notifications.models import NotificationKind
from fieldcrm.notifications.services import notification_create
from fieldcrm.users.models import User

MAX_SKEW_S = 5 * 60
TIMESTAMP_HEADER = "FieldCRM-Timestamp"
SIGNATURE_HEADER = "FieldCRM-Signature"


class SignatureRefused(DomainError):
    """A post not signed with the integration's secret, or signed too long ago: 401."""


# --- Configuration (admins) ---


def _clean_integration(integration: Integration) -> None:
    if integration.kind == IntegrationKind.PBX:
        integration.reply_url = ""
    integration.full_clean(exclude=["created_by", "default_owner"])


@write_transaction
def integration_create(*, actor: User, data: dict[str, Any]) -> Integration:
    """A new PBX or messenger with a fresh secret (shown to the admin once)."""
    require_role(actor)
    integration = Integration(
        kind=data.get("kind", ""), name=data.get("name", ""), reply_url=data.get("reply_url") or "",
        default_owner=data.get("default_owner"), created_by=actor, is_active=True,
    )  # fmt: skip
    _clean_integration(integration)
    integration.save()
    return integration


@write_transaction
def integration_update(*, actor: User, integration_id: object, data: dict[str, Any]) -> Integration:
    """Rename, change the reply URL, the leads' owner, or switch it off (its kind stays)."""
    require_role(actor)
    integration = get_scoped(Integration, actor, integration_id, write=True)
    for name in ("name", "reply_url", "default_owner", "is_active"):
        if name in data:
            setattr(integration, name, data[name] if data[name] is not None else "")
    if "default_owner" in data and not data["default_owner"]:
        integration.default_owner = None
    _clean_integration(integration)
    integration.save()
    return integration


@write_transaction
def integration_rotate_secret(*, actor: User, integration_id: object) -> Integration:
    """A new secret at once: posts signed with the old one are refused from now on."""
    require_role(actor)
    integration = get_scoped(Integration, actor, integration_id, write=True)
    integration.secret = new_secret()
    integration.secret_rotated_at = clock.now()
    integration.save(update_fields=["secret", "secret_rotated_at"])
    return integration


@write_transaction
def integration_delete(*, actor: User, integration_id: object) -> None:
    require_role(actor)
    get_scoped(Integration, actor, integration_id, write=True).delete()


@write_transaction
def extension_add(
    *, actor: User, integration_id: object, number: str, user_id: int | None
) -> Extension:
    """Who answers on an extension (or direct number) of a PBX: their calls name them."""
    require_role(actor)
    integration = get_scoped(Integration, actor, integration_id, write=True)
    if integration.kind != IntegrationKind.PBX:
        raise DomainError("number", _("Only a telephone system has extensions."))
    number = number.strip()
    if not number:
        raise DomainError("number", _("This field cannot be empty."))
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        raise DomainError("user", _("Choose a user."))
    if integration.extensions.filter(number=number).exists():
        raise DomainError("number", _("This extension is taken already."))
    extension = Extension(integration=integration, number=number, user=user)
    extension.full_clean()
    extension.save()
    return extension


@write_transaction
def extension_remove(*, actor: User, integration_id: object, extension_id: str | None) -> None:
    require_role(actor)
    integration = get_scoped(Integration, actor, integration_id, write=True)
    if not (extension_id or "").isdigit():
        raise NotInScope(Extension)
    deleted, _rows = integration.extensions.filter(pk=int(extension_id or 0)).delete()
    if not deleted:
        raise NotInScope(Extension)


# --- Receiving posts ---


def integration_for_post(*, integration_id: int, kind: str) -> Integration:
    """The active integration of ``kind`` with this id; any other is a plain 404."""
    found = Integration.objects.filter(pk=integration_id, kind=kind, is_active=True).first()
    if found is None:
        raise NotInScope(Integration)
    return found


def signature_check(
    *, integration: Integration, timestamp: str | None, signature: str | None, body: bytes
) -> None:
    """Refuse a post unless it is signed like our outbound webhooks: ``v1=`` + hex
    HMAC-SHA256 of ``<timestamp>.<body>`` with the integration's secret, within 5 minutes."""
    if not timestamp or not timestamp.strip().isdigit():
        raise SignatureRefused(
            "timestamp", _("The %(h)s header (Unix seconds) is missing.") % {"h": TIMESTAMP_HEADER}
        )
    if abs(clock.now().timestamp() - int(timestamp)) > MAX_SKEW_S:
        raise SignatureRefused(
            "timestamp",
            _("The timestamp is more than 5 minutes off: the post is refused as stale."),
        )
    expected = sign(integration.secret, int(timestamp), body)
    if not signature or not hmac.compare_digest(expected, signature.strip()):
        raise SignatureRefused(
            "signature", _("The signature does not match this integration's secret.")
        )


def body_parse(body: bytes, schema: type[CallEventIn] | type[MessageIn]) -> Any:
    """The JSON body as ``schema``; bad JSON names ``body``, a bad value its field."""
    try:
        data = json.loads(body or b"")
    except ValueError:
        raise DomainError("body", _("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise DomainError("body", _("Expected a JSON object."))
    try:
        return schema.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(map(str, first["loc"])) or "body"
        raise DomainError(field, str(first["msg"])) from None


def digest_of(*parts: str) -> str:
    """What makes a post the same post: a repeat may carry other timestamps (a PBX hook run
    twice), but an id reused for another call, kind or text is refused."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def number_match(number: str) -> tuple[Account | None, Contact | None]:
    """The account (and contact) a phone number belongs to, by the duplicate rule's phone key
    (the last 9 digits): an account's own number first, else a contact's; the oldest wins."""
    key = matching.phone_key(number)
    if not key:
        return None, None
    account = Account.objects.filter(phone_key=key).order_by("created_at", "pk").first()
    if account is not None:
        contact = Contact.objects.filter(account=account, phone_key=key).order_by("pk").first()
        return account, contact
    contact = (
        Contact.objects.filter(phone_key=key, account__deleted_at__isnull=True)
        .select_related("account").order_by("created_at", "pk").first()
    )  # fmt: skip
    return (contact.account, contact) if contact is not None else (None, None)


def _call_details(call: Call) -> dict[str, Any]:
    return {
        "call": str(call.pk), "direction": call.direction, "number": call.number,
        "duration_s": call.duration_s, "recording_url": call.recording_url,
        "answered_by": call.answered_by.display_name if call.answered_by else "",
    }  # fmt: skip


def _call_log(call: Call) -> None:
    """The call's one timeline entry, once it has ended and has an account: made the first
    time, brought up to date by later events (an answered event arriving after the end)."""
    if call.account_id is None or call.state != CallState.ENDED:
        return
    details = _call_details(call)
    if call.activity is None:
        call.activity = Activity.objects.create(
            account_id=call.account_id, kind=ActivityKind.CALL, actor=call.answered_by,
            occurred_at=call.started_at, subject=call.number[:200], contact=call.contact,
            details=details,
        )  # fmt: skip
        call.save(update_fields=["activity"])
    elif call.activity.details != details or call.activity.actor_id != call.answered_by_id:
        call.activity.details, call.activity.actor = details, call.answered_by
        call.activity.save(update_fields=["details", "actor"])


def _ring(call: Call) -> int:
    """Tell the account's owner of an incoming call (once per call): their bell, and the
    workspace's popup. An unknown number tells nobody."""
    account = call.account
    if account is None or account.owner is None or call.direction != Call.Direction.INBOUND:
        return 0
    params = {"number": call.number, "name": account.name,
              "contact": call.contact.name if call.contact else ""}  # fmt: skip
    made = notification_create(
        recipient=account.owner, kind=NotificationKind.INCOMING_CALL, params=params,
        record=("account", account.pk), key=f"call.{call.pk}.ringing",
    )  # fmt: skip
    return 1 if made is not None else 0


def _call_apply(integration: Integration, event: CallEventIn, digest: str) -> dict[str, Any]:
    at = event.occurred_at
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("activity", "account__owner", "contact")
        .filter(integration=integration, call_id=event.call_id).first()
    )  # fmt: skip
    if call is None:
        number = event.caller if event.direction == "in" else event.callee
        account, contact = number_match(number)
        call = Call(
            integration=integration, call_id=event.call_id, direction=event.direction,
            caller=event.caller, callee=event.callee, number=number, account=account,
            contact=contact, state=event.event, started_at=event.started_at or at,
        )  # fmt: skip
    elif STATE_ORDER[CallState(event.event)] > STATE_ORDER[CallState(call.state)]:
        call.state = event.event
    if event.started_at is not None and event.started_at < call.started_at:
        call.started_at = event.started_at
    if event.event == "answered" or event.answered_at is not None:
        call.answered_at = call.answered_at or event.answered_at or at
    if event.event == "ended" or event.ended_at is not None:
        call.ended_at = event.ended_at or at
        if event.duration_s is not None:
            call.duration_s = event.duration_s
    if event.recording_url:
        call.recording_url = event.recording_url
    if event.extension and event.event in ("answered", "ended"):
        answered = (
            Extension.objects.select_related("user")
            .filter(integration=integration, number=event.extension).first()
        )  # fmt: skip
        if answered is not None:
            call.answered_by = answered.user
    if call.answered_at and call.answered_at < call.started_at:
        raise DomainError("answered_at", _("The call was answered before it started."))
    if call.ended_at and call.ended_at < (call.answered_at or call.started_at):
        raise DomainError("ended_at", _("The call ended before it started or was answered."))
    call.full_clean(exclude=["integration", "account", "contact", "answered_by", "activity"],
                    validate_unique=False)  # fmt: skip
    call.save()
    notified = _ring(call) if event.event == "ringing" and call.state == CallState.RINGING else 0
    _call_log(call)
    result = {
        "call": str(call.pk), "state": call.state, "matched": call.account_id is not None,
        "account_id": str(call.account_id) if call.account_id else None,
        "activity_id": str(call.activity.pk) if call.activity else None, "notified": notified,
    }  # fmt: skip
    CallEvent.objects.create(integration=integration, event_id=event.event_id, call=call,
                             kind=event.event, digest=digest, result=result)  # fmt: skip
    return result


def _repeat(stored_digest: str, digest: str, field: str) -> None:
    if stored_digest != digest:
        raise DomainError(field, _("This id was used already, for a different post."))


def call_event_receive(
    *, integration_id: int, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    """One PBX event: checked (integration, signature, body), then applied once per event id;
    a repeat answers what the first time answered."""
    integration = integration_for_post(integration_id=integration_id, kind=IntegrationKind.PBX)
    signature_check(integration=integration, timestamp=headers.get(TIMESTAMP_HEADER),
                    signature=headers.get(SIGNATURE_HEADER), body=body)  # fmt: skip
    event: CallEventIn = body_parse(body, CallEventIn)
    digest = digest_of(event.call_id, event.event)
    for _attempt in range(2):
        try:
            with one_change_number():
                seen = CallEvent.objects.filter(
                    integration=integration, event_id=event.event_id
                ).first()
                if seen is not None:
                    _repeat(seen.digest, digest, "event_id")
                    return seen.result
                return _call_apply(integration, event, digest)
        except IntegrityError:
            # Another process made the call's row or the event between our read and write
            # (SQLite's writers queue; PostgreSQL's may race): read again, once.
            continue
    raise DomainError("event_id", _("This event is being processed already; send it again."))


# --- Messenger messages ---


def _message_account(
    integration: Integration, message: MessageIn
) -> tuple[Account | None, Contact | None]:
    earlier = (
        Message.objects.filter(integration=integration, sender=message.sender_id,
                               account__deleted_at__isnull=True)
        .select_related("account").order_by("-created_at").first()
    )  # fmt: skip
    if earlier is not None:
        return earlier.account, None
    return number_match(message.sender_id)


def _message_apply(integration: Integration, message: MessageIn, digest: str) -> dict[str, Any]:
    at = message.sent_at or clock.now()
    account, contact = _message_account(integration, message)
    made_lead = account is None
    who = message.sender_name or message.sender_id
    if account is None:
        looks_like_number = bool(matching.phone_key(message.sender_id))
        account = account_create(fields={
            "name": who[:200], "status": Account.Status.LEAD, "source": integration.source,
            "phone": message.sender_id[:40] if looks_like_number else "",
            "owner": integration.default_owner,
        })  # fmt: skip
    activity = Activity.objects.create(
        account=account, kind=ActivityKind.MESSAGE, occurred_at=at, subject=who[:200],
        body=message.text, contact=contact,
        details={"direction": "in", "channel": message.channel, "sender": message.sender_id},
    )  # fmt: skip
    row = Message.objects.create(
        integration=integration, direction=Message.Direction.INBOUND,
        message_id=message.message_id, channel=message.channel, sender=message.sender_id,
        sender_name=message.sender_name, text=message.text, account=account, activity=activity,
        made_lead=made_lead, digest=digest, created_at=at,
    )  # fmt: skip
    notified = 0
    if account.owner is not None:
        params = {"sender": who, "name": account.name, "channel": message.channel,
                  "text": message.text[:200], "lead": made_lead}  # fmt: skip
        made = notification_create(
            recipient=account.owner, kind=NotificationKind.MESSAGE_RECEIVED, params=params,
            record=("account", account.pk), key=f"message.{row.pk}",
        )  # fmt: skip
        notified = 1 if made is not None else 0
    row.result = {"message": str(row.pk), "account_id": str(account.pk),
                  "activity_id": str(activity.pk), "lead_created": made_lead,
                  "notified": notified}  # fmt: skip
    row.save(update_fields=["result"])
    return row.result


def message_receive(*, integration_id: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """One messenger message: checked, then logged once per message id (a lead made for an
    unknown sender); a repeat answers what the first time answered."""
    kind = IntegrationKind.MESSENGER
    integration = integration_for_post(integration_id=integration_id, kind=kind)
    signature_check(integration=integration, timestamp=headers.get(TIMESTAMP_HEADER),
                    signature=headers.get(SIGNATURE_HEADER), body=body)  # fmt: skip
    message: MessageIn = body_parse(body, MessageIn)
    digest = digest_of(message.channel, message.sender_id, message.text)
    for _attempt in range(2):
        try:
            with one_change_number():
                seen = Message.objects.filter(integration=integration,
                                              message_id=message.message_id).first()  # fmt: skip
                if seen is not None:
                    _repeat(seen.digest, digest, "message_id")
                    return seen.result
                return _message_apply(integration, message, digest)
        except IntegrityError:
            continue
    raise DomainError("message_id", _("This message is being processed already; send it again."))


# --- Unknown callers: offered as leads ---


@write_transaction
def call_make_lead(*, actor: User, call_id: object) -> Account:
    """A lead for an unknown caller (managers and admins): the account gets the number, and
    every call from it so far (each ended one on its timeline)."""
    require_role(actor, User.Role.MANAGER)
    call = scoped(Call, actor).filter(pk=call_id, account__isnull=True).first()
    if call is None:
        raise NotInScope(Call)
    owner = call.integration.default_owner or actor
    account = account_create(fields={
        "name": (_("Caller %(number)s") % {"number": call.number})[:200],
        "status": Account.Status.LEAD, "phone": call.number[:40],
        "source": call.integration.source, "owner": owner,
    }, actor=actor)  # fmt: skip
    key = matching.phone_key(call.number)
    same = scoped(Call, actor).filter(account__isnull=True).select_related("activity")
    for other in same.filter(integration=call.integration).order_by("started_at"):
        if other.pk == call.pk or (key and matching.phone_key(other.number) == key):
            other.account = account
            other.save(update_fields=["account"])
            _call_log(other)
    return account
