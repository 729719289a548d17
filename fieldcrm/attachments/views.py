"""The attachments' pages: upload from a record's page (multipart form, back to the page with
the result) and download, both through the record's access rule like the API."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from fieldcrm.attachments import selectors, services
from fieldcrm.core.errors import DomainError
from fieldcrm.crm.views import crm_page
from fieldcrm.users.auth import PageRequest

PAGES = {"account": "crm:account", "deal": "crm:deal", "order": "crm:order"}


class UploadForm(forms.Form):
    record_id = forms.CharField(max_length=64)
    file = forms.FileField(label=gettext_lazy("File"))

    def has_field_value(self, name: str) -> bool:
        return bool(self.data.get(name))


@require_POST
@crm_page
def upload(request: PageRequest) -> HttpResponse:
    """Attach a file to a record from its page; a refusal is shown there (nothing is kept)."""
    form = UploadForm(request.POST, request.FILES)
    record_type = request.POST.get("record_type", "")
    if record_type not in PAGES or not form.has_field_value("record_id"):
        raise BadRequest(_("Attach files from a record's page."))
    try:
        back = reverse(PAGES[record_type], args=[request.POST["record_id"]]) + "#files"
    except NoReverseMatch:
        raise BadRequest(_("Attach files from a record's page.")) from None
    try:
        if not form.is_valid():
            raise DomainError("file", _("Choose a file to attach."))
        row = services.attachment_create(
            actor=request.user, record_type=record_type,
            record_id=form.cleaned_data["record_id"], upload=form.cleaned_data["file"],
        )  # fmt: skip
    except DomainError as exc:
        label = _("File") if exc.field == "file" else exc.field
        context = {"label": label, "message": exc.message, "back": back}
        return render(request, "attachments/refused.html", context, status=400)
    messages.success(request, _("%(name)s attached.") % {"name": row.name})
    return HttpResponseRedirect(back)


@require_GET
@crm_page
def download(request: PageRequest, attachment_id: int) -> FileResponse:
    row = selectors.attachment_get(actor=request.user, attachment_id=attachment_id)
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.name,
                        content_type=row.content_type)  # fmt: skip


@require_GET
@crm_page
def photo(request: PageRequest, attachment_id: int) -> FileResponse:
    """A visit photo shown on the account's timeline (issue 21), inline, scoped like the visit:
    out of the reader's scope it is the 404 of a missing one."""
    row = selectors.visit_photo_get(actor=request.user, attachment_id=attachment_id)
    response = FileResponse(row.file.open("rb"), content_type=row.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
