"""The e-mail pages: send from a record's page (a plain POST form, back to the page with the
result, or the refusal naming the field), the suppression list and the review list (managers
and admins), and the public unsubscribe page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fieldcrm.access import require_page
from fieldcrm.core.errors import DomainError
from fieldcrm.crm.views import crm_page
from fieldcrm.emails import inbound, selectors, services
from fieldcrm.users.auth import PageRequest

PAGES = {"account": "crm:account", "contact": "crm:contact", "deal": "crm:deal",
         "order": "crm:order"}  # fmt: skip


class SuppressionForm(forms.Form):
    address = forms.CharField(label=gettext_lazy("E-mail address"), max_length=254)
    detail = forms.CharField(label=gettext_lazy("Why"), max_length=300, required=False)


LABELS = {"contact_ids": gettext_lazy("To"), "subject": gettext_lazy("Subject"),
          "body": gettext_lazy("Message"), "address": gettext_lazy("E-mail address"),
          "attachment_ids": gettext_lazy("Attach files"),
          "pdf_language": gettext_lazy("Attach this document as a PDF")}  # fmt: skip


def _file_ids(values: list[str]) -> list[int]:
    """The ticked files' ids; one that is not a whole number is a file nobody has (the
    service refuses it, naming the field)."""
    return [int(v) if v.isdigit() and len(v) < 19 else -1 for v in values]


@require_POST
@crm_page
def send(request: PageRequest) -> HttpResponse:
    """Send an e-mail from a record's page; a refusal is shown with its field (nothing sent)."""
    record_type, record_id = request.POST.get("record_type", ""), request.POST.get("record_id", "")
    try:
        back = reverse(PAGES[record_type], args=[record_id]) + "#timeline"
    except (KeyError, NoReverseMatch):
        raise BadRequest(_("Send e-mails from a record's page.")) from None
    # The service checks every value (the contacts against the account, the subject's one
    # line): the page carries them as typed.
    try:
        rows = services.email_send(
            actor=request.user, record_type=record_type, record_id=record_id,
            contact_ids=request.POST.getlist("contact_ids") or None,
            subject=request.POST.get("subject", ""), body=request.POST.get("body", ""),
            attachment_ids=_file_ids(request.POST.getlist("attachment_ids")),
            pdf_language=request.POST.get("pdf_language") or None,
        )  # fmt: skip
    except DomainError as exc:
        context = {"label": LABELS.get(exc.field, exc.field), "message": exc.message,
                   "back": back}  # fmt: skip
        return render(request, "emails/refused.html", context, status=400)
    messages.success(request, _("E-mail queued to %(count)s contact(s).") % {"count": len(rows)})
    return HttpResponseRedirect(back)


@require_http_methods(["GET", "POST"])
@crm_page
def suppressions(request: PageRequest) -> HttpResponse:
    """The suppression list; a POST opts an address out by hand."""
    require_page(request.user, "mail")
    form = SuppressionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.suppression_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error("address", exc.message)
            else:
                messages.success(request, _("The address is suppressed."))
                return HttpResponseRedirect(reverse("emails:suppressions"))
        status = 400
    rows = selectors.suppression_list(actor=request.user)[:500]
    return render(request, "emails/suppressions.html", {"rows": rows, "form": form},
                  status=status)  # fmt: skip


@require_POST
@crm_page
def lift(request: PageRequest, suppression_id: int) -> HttpResponse:
    require_page(request.user, "mail")
    row = services.suppression_lift(actor=request.user, suppression_id=suppression_id)
    messages.success(request, _("%(address)s may be written to again.") % {"address": row.address})
    return HttpResponseRedirect(reverse("emails:suppressions"))


@require_GET
@crm_page
def review(request: PageRequest) -> HttpResponse:
    """Received mail matched to no contact, for a manager to look at."""
    require_page(request.user, "mail")
    rows = selectors.email_review_list(actor=request.user)[:200]
    return render(request, "emails/review.html", {"rows": rows})


@require_POST
@crm_page
def file_as_lead(request: PageRequest, email_id: object) -> HttpResponse:
    """Make a lead of a received mail's sender; the mail goes on the new account's timeline."""
    try:
        account = inbound.email_file_as_lead(actor=request.user, email_id=email_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("emails:review"))
    messages.success(request, _("%(name)s is a new lead.") % {"name": account.name})
    return HttpResponseRedirect(reverse("crm:account", args=[account.pk]) + "#timeline")


# The token is the credential (mail clients' one-click unsubscribe posts without cookies,
# RFC 8058), so CSRF protection has nothing to protect here.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a link scanner must not unsubscribe anyone); POST puts the address on the
    suppression list."""
    try:
        if request.method == "POST":
            address = services.unsubscribe(token=token)
            return render(request, "emails/unsubscribe.html", {"done": True, "address": address})
        address = services.unsubscribe_address(token=token)
    except DomainError:
        raise Http404 from None
    return render(request, "emails/unsubscribe.html", {"done": False, "address": address})
