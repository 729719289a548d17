"""Reads: a record's e-mail recipients, the suppression list, the review list."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from fieldcrm.access import get_scoped, scoped
from fieldcrm.accounts.models import Account, Contact
from fieldcrm.attachments.models import Attachment
from fieldcrm.deals.models import Deal
from fieldcrm.emails.models import Email, EmailStatus, Suppression
from fieldcrm.orders.models import Order
from fieldcrm.users.models import User


def email_recipients(*, actor: User, record_type: str, record_id: object) -> dict[str, Any]:
    """Who an e-mail from a record may go to (its account's contacts with an address; a
    contact's page: that contact) and whether the caller may send (they change the account)."""
    if record_type == "contact":
        contact = get_scoped(Contact, actor, record_id)
        account_id, contacts = contact.account_id, [contact]
    else:
        if record_type == "account":
            account_id = get_scoped(Account, actor, record_id).pk
        elif record_type == "order":
            account_id = get_scoped(Order, actor, record_id).account_id
        else:
            account_id = get_scoped(Deal, actor, record_id).account_id
        contacts = list(scoped(Contact, actor).filter(account_id=account_id).order_by("name"))
    may_send = scoped(Account, actor, write=True).filter(pk=account_id).exists()
    suppressed = set(
        Suppression.objects.filter(
            lifted_at__isnull=True, address__in=[c.email.strip().lower() for c in contacts]
        ).values_list("address", flat=True)
    )
    rows = [
        {"contact": c, "suppressed": c.email.strip().lower() in suppressed}
        for c in contacts if c.email
    ]  # fmt: skip
    # The account's files (of any of its records the caller reads) may go with the e-mail.
    files = list(
        scoped(Attachment, actor).filter(account_id=account_id).order_by("-created_at")[:50]
    )
    return {"record_type": record_type, "record_id": record_id, "rows": rows,
            "may_send": may_send and bool(rows), "files": files,
            "pdf": record_type == "order", "languages": settings.LANGUAGES}  # fmt: skip


def email_get(*, actor: User, email_id: object) -> Email:
    return get_scoped(Email, actor, email_id)


def email_list(*, actor: User, account_id: object) -> QuerySet[Email]:
    """An account's e-mails, newest first."""
    account = get_scoped(Account, actor, account_id)
    return scoped(Email, actor).filter(account=account).select_related("contact")


def email_review_list(*, actor: User) -> QuerySet[Email]:
    """Received mail matched to no record (managers and admins)."""
    return scoped(Email, actor).filter(status=EmailStatus.UNMATCHED, account__isnull=True)


def suppression_list(*, actor: User, active: bool = True) -> QuerySet[Suppression]:
    qs = scoped(Suppression, actor)
    return qs.filter(lifted_at__isnull=True) if active else qs
