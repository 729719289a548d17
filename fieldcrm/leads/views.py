"""The web form's own page (/forms/<token>): what a site embeds in an iframe, and where a plain
HTML form copied from the settings page posts. No login and no CSRF token (the visitor is on
another site, where our cookies are third-party): the unguessable token in the address, the
rate limits, the honeypot and the form's allowed origins guard it, as they guard the JSON API
(api.py), and the same service stores the lead."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from pydantic import ValidationError

from fieldcrm.access import NotAllowed, NotInScope
from fieldcrm.leads import services
from fieldcrm.leads.models import LEAD_FIELDS, WebForm
from fieldcrm.leads.schemas import HONEYPOT, LeadIn
from fieldcrm.users.services import TooManyAttempts, client_ip


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors by input; the "a name or a company" rule has no field: the name's."""
    out: dict[str, list[str]] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "name"
        out.setdefault(name, []).append(_message(name, error))
    return out


def _message(name: str, error: Any) -> str:
    """A visitor's sentence in their language (pydantic's own messages are English only)."""
    if name == "name" and not error["loc"]:
        return _("Give a name or a company.")
    if error["type"] == "string_too_long":
        return _("At most %(n)s characters.") % {"n": error["ctx"]["max_length"]}
    if name == "email":
        return _("Enter a valid e-mail address.")
    return _("Check this value.")


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _page(
    request: HttpRequest, form: WebForm, *, values: Any = None,
    errors: dict[str, list[str]] | None = None, sent: bool = False, refusal: str = "",
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    inputs = [{"name": name, "label": label, "value": (values or {}).get(name, ""),
               "errors": (errors or {}).get(name, [])}
              for name, label in LEAD_FIELDS if name in form.fields]  # fmt: skip
    response = render(request, "leads/form.html", {
        "form": form, "inputs": inputs, "sent": sent, "refusal": refusal, "honeypot": HONEYPOT,
        "thank_you": form.thank_you or _("Thank you, we will be in touch."),
        "has_errors": bool(errors),
    }, status=status)  # fmt: skip
    # Framed by the sites the form names (and our own settings page's preview); any site when
    # it names none, as the JSON endpoint then accepts posts from any origin.
    ancestors = ["'self'", *form.origins] if form.origins else ["*"]
    response._csp_replace = {"frame-ancestors": ancestors}  # type: ignore[attr-defined]
    return response


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def form_page(request: HttpRequest, token: str) -> HttpResponse:
    """The form (GET); POST: store the lead and thank the visitor, or show what to fix."""
    try:
        form = services.lead_form_get(token=token)
    except NotInScope:
        raise Http404(_("Not found.")) from None
    if request.method == "GET":
        return _page(request, form)
    data = request.POST.dict()
    origin = request.headers.get("Origin")
    if origin == _own_origin(request):
        origin = None  # our own page in the site's frame: the frame's ancestors were checked
    trapped = str(data.get(HONEYPOT) or "").strip()
    try:
        # A bot (the honeypot filled): no validation, so it gets the same thanks whatever else.
        lead = LeadIn.model_construct(website_url=trapped) if trapped else (
            LeadIn.model_validate(data))  # fmt: skip
        services.lead_capture(form=form, lead=lead, ip=client_ip(request), origin=origin)
    except ValidationError as exc:
        return _page(request, form, values=data, errors=_errors(exc), status=400)
    except NotAllowed as exc:
        return _page(request, form, refusal=str(exc), status=403)
    except TooManyAttempts as exc:
        return _page(request, form, values=data, refusal=str(exc), status=429)
    return _page(request, form, sent=True)
