"""/api/v1/emails: e-mail to contacts from a record, the e-mails on an account, the review
list of received mail matched to no record, and the suppression list (managers, admins)."""

import uuid

from ninja import Router, Status
from ninja.pagination import paginate

from fieldcrm.core.pagination import Page
from fieldcrm.emails import inbound, selectors, services
from fieldcrm.emails.schemas import EmailIn, EmailOut, LeadOut, SuppressionIn, SuppressionOut
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["emails"])


@router.post("/emails", response={201: list[EmailOut]})
def send_email(request: ApiRequest, payload: EmailIn):
    """Send an e-mail to contacts of the record's account (one per contact, each on the
    timeline and sent once by the worker); a suppressed address refuses the whole send."""
    rows = services.email_send(actor=request.auth, **payload.dict())
    return Status(201, rows)


@router.get("/emails/review", response=list[EmailOut])
@paginate(Page)
def list_unmatched_emails(request: ApiRequest):
    """Received mail matched to no contact (managers and admins), newest first."""
    return selectors.email_review_list(actor=request.auth)


@router.post("/emails/{email_id}/lead", response={201: LeadOut})
def file_email_as_lead(request: ApiRequest, email_id: uuid.UUID):
    """A received mail matched to no record: its sender becomes a lead (an account with the
    sender as its contact), the mail and its attachments go on its timeline."""
    account = inbound.email_file_as_lead(actor=request.auth, email_id=email_id)
    return Status(201, {"account_id": account.pk})


@router.get("/emails/{email_id}", response=EmailOut)
def get_email(request: ApiRequest, email_id: uuid.UUID):
    return selectors.email_get(actor=request.auth, email_id=email_id)


@router.get("/accounts/{account_id}/emails", response=list[EmailOut])
@paginate(Page)
def list_account_emails(request: ApiRequest, account_id: uuid.UUID):
    return selectors.email_list(actor=request.auth, account_id=account_id)


@router.get("/email-suppressions", response=list[SuppressionOut])
@paginate(Page)
def list_email_suppressions(request: ApiRequest):
    """Addresses nothing is sent to (managers and admins see the whole list)."""
    return selectors.suppression_list(actor=request.auth)


@router.post("/email-suppressions", response={201: SuppressionOut})
def create_email_suppression(request: ApiRequest, payload: SuppressionIn):
    """Opt an address out by hand."""
    row = services.suppression_create(actor=request.auth, **payload.dict())
    return Status(201, row)


@router.delete("/email-suppressions/{suppression_id}", response=SuppressionOut)
def lift_email_suppression(request: ApiRequest, suppression_id: int):
    """Write to the address again."""
    return services.suppression_lift(actor=request.auth, suppression_id=suppression_id)
