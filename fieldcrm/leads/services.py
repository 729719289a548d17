"""Lead capture: a public web form post becomes a lead Account with its story in an Activity."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, NotInScope
from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.accounts.services import account_create, account_event_data
from fieldcrm.automation.models import EventType
from fieldcrm.automation.outbox import event_record
from fieldcrm.geocoding.models import GeocodeQuality
from fieldcrm.geocoding.selectors import GeocodeError, address_locate, geocoder_name
from fieldcrm.leads.models import WebForm
from fieldcrm.leads.schemas import LeadIn
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
    account = account_create(fields=fields)
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
