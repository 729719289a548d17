"""Lead capture: a public web form post becomes a lead Account with its story in an Activity."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, NotInScope, can_create, get_scoped, scoped
from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.accounts.services import account_create, account_event_data
from fieldcrm.automation.models import EventType
from fieldcrm.automation.outbox import event_record
from fieldcrm.core.errors import DomainError
from fieldcrm.geocoding.models import GeocodeQuality
from fieldcrm.geocoding.selectors import GeocodeError, address_locate, geocoder_name
from fieldcrm.leads.models import LEAD_FIELD_NAMES, WebForm, new_token
from fieldcrm.leads.schemas import LeadIn
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User
from fieldcrm.users.selectors import user_in_scope
from fieldcrm.users.services import TooManyAttempts

# Posts allowed per window: per client address, and per form (a flood from many addresses).
MAX_PER_IP = 5
MAX_PER_FORM = 200
WINDOW_S = 10 * 60


def lead_form_get(*, token: str) -> WebForm:
    """The active form with this token; a wrong or inactive token is a plain 404."""
    form = WebForm.objects.filter(token=token, is_active=True).first() if len(token) < 100 else None
    if form is None:
        raise NotInScope(WebForm)
    return form


def cors_headers(*, form: WebForm, origin: str | None) -> dict[str, str]:
    """CORS headers for a browser on an allowed origin (none when any origin is allowed)."""
    if origin and origin.rstrip("/") in form.origins:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {}


def _throttle(form: WebForm, ip: str) -> None:
    keys = ((f"lead:ip:{ip}", MAX_PER_IP), (f"lead:form:{form.pk}", MAX_PER_FORM))
    for key, limit in keys:
        cache.add(key, 0, WINDOW_S)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_S)
            count = 1
        if count > limit:
            raise TooManyAttempts(_("Too many submissions; please try again later."))


def _locate(address: str) -> tuple[Any, str, str]:
    """(Point or None, the match quality, a sentence for the activity) — a geocoder failure
    never loses the lead."""
    from django.contrib.gis.geos import Point

    if not address:
        return None, "", ""
    if geocoder_name() == "off":
        return None, "", _("No geocoder is configured; the address was not located.")
    try:
        found = address_locate(address=address)
    except GeocodeError as exc:
        return (
            None,
            GeocodeQuality.NONE,
            _("Geocoding failed (%(reason)s); the lead has no location yet.") % {"reason": exc},
        )
    if not found.found:
        return (
            None,
            GeocodeQuality.NONE,
            _("The geocoder did not find the address; the lead has no location yet."),
        )
    note = _("Located at %(lat)s, %(lng)s by the geocoder (%(quality)s: %(label)s).") % {
        "lat": found.lat, "lng": found.lng, "quality": found.quality.label, "label": found.label,
    }  # fmt: skip
    return Point(found.lng, found.lat, srid=4326), found.quality, note


def lead_capture(
    *, form: WebForm, lead: LeadIn, ip: str, origin: str | None = None
) -> Account | None:
    """Store a lead from ``form``; None (and nothing stored) when the honeypot was filled."""
    if form.origins and origin and origin.rstrip("/") not in form.origins:
        raise NotAllowed(_("This form does not accept posts from %(o)s.") % {"o": origin})
    _throttle(form, ip)
    if lead.website_url:
        return None
    # The geocoder is called before the transaction: no lock is held while we wait for it.
    location, quality, located = _locate(lead.address)
    return _lead_store(form=form, lead=lead, location=location, quality=quality,
                       notes=[located], origin=origin)  # fmt: skip


@transaction.atomic
def _lead_store(
    *, form: WebForm, lead: LeadIn, location: Any, quality: str, notes: list[str],
    origin: str | None,
) -> Account:  # fmt: skip
    fields = {
        "name": lead.company or lead.name,
        "status": Account.Status.LEAD,
        "address": lead.address,
        "location": location,
        "geocode_quality": quality,
        "email": lead.email or "",
        "phone": lead.phone,
        "source": form.source,
        "owner": form.default_owner,
    }
    account = account_create(fields=fields, tags=form.tags)
    if account.territory_id is None and form.territory_id is not None:
        # Not located: the form's territory, until a location places it (account_save keeps
        # an account without a location where it is).
        account.territory_id = form.territory_id
        account.save(update_fields=["territory"])
    if lead.name and lead.company:
        contact = Contact(
            account=account,
            name=lead.name,
            email=lead.email or "",
            phone=lead.phone,
            is_primary=True,
        )
        contact.full_clean()
        contact.save()
    where = _("Sent through the web form %(form)s") % {"form": form.name}
    if origin:
        where += " " + _("from %(origin)s") % {"origin": origin}
    body = "\n\n".join(part for part in (lead.message, where + ".", *notes) if part)
    activity = Activity(
        account=account,
        kind=Activity.Kind.SYSTEM,
        occurred_at=account.created_at,
        subject=(_("Lead from web form %(form)s") % {"form": form.name})[:200],
        body=body,
    )
    activity.full_clean()
    activity.save()
    event_record(kind=EventType.LEAD_RECEIVED, record_type="account", record_id=account.pk,
                 data={**account_event_data(account), "form": form.name})  # fmt: skip
    return account


def lead_submit(*, token: str, lead: LeadIn, ip: str, origin: str | None) -> dict[str, str]:
    """Capture a lead posted to the form ``token``; returns the CORS headers for the answer."""
    form = lead_form_get(token=token)
    lead_capture(form=form, lead=lead, ip=ip, origin=origin)
    return cors_headers(form=form, origin=origin)


def lead_preflight(*, token: str, origin: str | None) -> dict[str, str]:
    """Headers answering a CORS preflight (none unless the origin is allowed)."""
    headers = cors_headers(form=lead_form_get(token=token), origin=origin)
    if headers:
        headers |= {
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
    return headers


# --- The forms themselves: the settings pages (admins; the access rule also lets managers
# keep their regions' forms). ---

MAX_TAGS = 10


def _origins(text: str) -> str:
    """One origin per line, each scheme://host[:port] (no path): the form field's rule."""
    lines = [line.strip().rstrip("/") for line in text.splitlines() if line.strip()]
    for line in lines:
        parts = urlsplit(line)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path
            or (parts.query or parts.fragment)
        ):
            raise DomainError(
                "allowed_origins",
                _("“%(o)s” is not an origin like https://shop.example.com.") % {"o": line},
            )
    return "\n".join(lines)


def _tags(names: list[str]) -> list[str]:
    tags = sorted({n.strip() for n in names if n.strip()})
    if len(tags) > MAX_TAGS or any(len(t) > 64 for t in tags):
        raise DomainError("tags", _("At most %(n)s tags of 64 characters each.") % {"n": MAX_TAGS})
    return tags


def _in_scope(
    model: type[Region] | type[Territory], actor: User, pk: int | None, field: str
) -> Any:
    if pk is None:
        return None
    found = scoped(model, actor).filter(pk=pk).first()
    if found is None:
        raise DomainError(field, _("Not found in your scope."))
    return found


@transaction.atomic
def web_form_save(*, actor: User, data: dict[str, Any], form_id: int | None = None) -> WebForm:
    """Create (no ``form_id``) or edit a form: the inputs it offers (a name or a company among
    them), the region, territory, owner and tags its leads get, the thank-you text and the
    origins it accepts posts from. Everything chosen must be in the caller's scope."""
    if form_id is None:
        if not can_create(WebForm, actor):
            raise NotAllowed(_("Your role may not keep web forms."))
        form = WebForm()
    else:
        form = get_scoped(WebForm, actor, form_id, write=True)
    fields = [name for name in LEAD_FIELD_NAMES if name in set(data["fields"])]
    if not {"name", "company"} & set(fields):
        raise DomainError("fields", _("Offer a name or a company: a lead needs one of them."))
    owner_id = data.get("default_owner_id")
    form.name = data["name"].strip()
    form.fields = fields
    form.is_active = data["is_active"]
    form.region = _in_scope(Region, actor, data.get("region_id"), "region")
    form.territory = _in_scope(Territory, actor, data.get("territory_id"), "territory")
    form.default_owner = (
        None if owner_id is None
        else user_in_scope(actor=actor, user_id=owner_id, field="default_owner", active=True)
    )  # fmt: skip
    form.tags = _tags(data.get("tags") or [])
    form.thank_you = (data.get("thank_you") or "").strip()
    form.allowed_origins = _origins(data.get("allowed_origins") or "")
    if actor.role == User.Role.MANAGER and not actor.is_admin and form.region is None:
        raise DomainError("region", _("Choose one of your regions."))
    form.full_clean()
    form.save()
    return form


@transaction.atomic
def web_form_delete(*, actor: User, form_id: int) -> None:
    """Delete a form: its address stops working; the leads it brought stay (their source names
    the form)."""
    get_scoped(WebForm, actor, form_id, write=True).delete()


@transaction.atomic
def web_form_rotate(*, actor: User, form_id: int) -> WebForm:
    """A new token: the old address (every snippet published with it) stops working."""
    form = get_scoped(WebForm, actor, form_id, write=True)
    form.token = new_token()
    form.save(update_fields=["token"])
    return form
