"""Bulk changes of accounts: preview, apply (one transaction, one BulkChange row, one history
entry per account), and one undo of the caller's last change.

The manager map's "assign" and the CRM workspace's list actions both come through here, so
the same scope, field rules and history apply wherever a selection is changed at once.
Accounts are synced rows: they are written with ``update_many`` under one change number, and
an owner change tells the sync which phones lose the account (sync.signals.accounts_moved).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, scoped
from fieldcrm.accounts.models import Account, Activity
from fieldcrm.bulk.fields import FIELDS, MAX_ACCOUNTS, BulkField, Target
from fieldcrm.bulk.models import BulkChange
from fieldcrm.core.errors import DomainError
from fieldcrm.core.models import insert_many, one_change_number
from fieldcrm.sync.signals import accounts_moved
from fieldcrm.users.models import User


@dataclass
class Plan:
    """What a change would do, account by account."""

    spec: BulkField
    target: Target
    # account, value before, value after, warnings
    changes: list[tuple[Account, Any, Any, list[str]]] = field(default_factory=list)
    unchanged: list[Account] = field(default_factory=list)
    refused: list[tuple[Account, str]] = field(default_factory=list)


def _spec(name: str) -> BulkField:
    if name not in FIELDS:
        raise DomainError(
            "field", _("Expected one of: %(choices)s.") % {"choices": ", ".join(FIELDS)}
        )
    return FIELDS[name]


def _key(value: Any) -> Any:
    """A value as a key of ``displays`` (a tags field's list of names as a tuple)."""
    return tuple(value) if isinstance(value, list) else value


def _accounts(
    *, actor: User, account_ids: Sequence[Any], lock: bool, prefetch: tuple[str, ...] = ()
) -> list[Account]:
    """The accounts, all of which ``actor`` may change: one not found (missing or out of scope,
    the same answer) refuses the request naming ``account_ids``; one the caller may read but
    not change answers NotAllowed (403)."""
    try:
        ids = list(dict.fromkeys(uuid.UUID(str(pk)) for pk in account_ids))
    except ValueError:
        raise DomainError("account_ids", _("Some of these accounts were not found.")) from None
    if not ids:
        raise DomainError("account_ids", _("Select at least one account."))
    if len(ids) > MAX_ACCOUNTS:
        raise DomainError("account_ids", _("At most %(max)s accounts can be changed at once.")
                          % {"max": f"{MAX_ACCOUNTS:,}"})  # fmt: skip
    readable = scoped(Account, actor).filter(pk__in=ids)
    if readable.count() != len(ids):
        raise DomainError("account_ids", _("Some of these accounts were not found."))
    writable = scoped(Account, actor, write=True).filter(pk__in=ids)
    if lock:
        writable = writable.select_for_update(of=("self",))
    accounts = list(
        writable.select_related("owner", "territory__region")
        .prefetch_related(*prefetch)
        .order_by("name", "pk")
    )
    if len(accounts) != len(ids):
        raise NotAllowed(_("Your role may not change some of these accounts."))
    return accounts


def _plan(*, actor: User, field_name: str, value: Any, accounts: list[Account]) -> Plan:
    spec = _spec(field_name)
    target = spec.prepare(actor=actor, value=value)
    spec.prepare_accounts(target=target, accounts=accounts)
    plan = Plan(spec=spec, target=target)
    for account in accounts:
        before = spec.current(account, target.value)
        after = spec.after(target=target, before=before)
        if before == after:
            plan.unchanged.append(account)
            continue
        verdict = spec.judge(target=target, account=account)
        if verdict.refusal:
            plan.refused.append((account, verdict.refusal))
        else:
            plan.changes.append((account, before, after, verdict.warnings))
    return plan


def _describe(plan: Plan) -> dict[str, Any]:
    names = plan.spec.displays({_key(before) for _a, before, _after, _w in plan.changes})
    return {
        "field": plan.spec.name,
        "field_label": plan.spec.label(),
        "value": plan.target.value,
        "value_display": plan.spec.display_value(plan.target.value),
        "count": len(plan.changes),
        "changes": [
            {
                "id": str(a.pk),
                "name": a.name,
                "from_display": names[_key(before)],
                "warnings": warnings,
            }
            for a, before, _after, warnings in plan.changes
        ],  # fmt: skip
        "unchanged": [{"id": str(a.pk), "name": a.name} for a in plan.unchanged],
        "refused": [{"id": str(a.pk), "name": a.name, "reason": r} for a, r in plan.refused],
    }


def bulk_change_preview(
    *, actor: User, field: str, value: Any, account_ids: Sequence[Any]
) -> dict[str, Any]:
    """What applying would do: the accounts that change (with warnings), those already so and
    those refused with the reason. Writes nothing."""
    accounts = _accounts(
        actor=actor, account_ids=account_ids, lock=False, prefetch=_spec(field).prefetch()
    )
    return _describe(_plan(actor=actor, field_name=field, value=value, accounts=accounts))


# The workspace's history kinds (accounts.models.ActivityKind), the ones account_save records
# for the same changes; tier has no kind of its own and stays a SYSTEM entry.
HISTORY_KINDS = {"owner": Activity.Kind.OWNER_CHANGE, "status": Activity.Kind.STATUS_CHANGE}


def _details(spec: BulkField, names: dict[Any, str], old: Any, new: Any) -> dict[str, Any]:
    """The entry's data in account_change_activities' shape, so each reader's page shows the
    change in their own language: owners as {id, name} (None for nobody), statuses as codes."""
    if spec.name == "owner":

        def person(pk: Any) -> dict[str, Any] | None:
            return None if pk is None else {"id": pk, "name": names[pk]}

        return {"old": person(old), "new": person(new)}
    return {"old": old, "new": new}


def _history(
    *, actor: User, spec: BulkField, rows: list[tuple[Account, Any, Any]], change: BulkChange,
    undo: bool,
) -> None:  # fmt: skip
    """One history entry per account (``rows``: account, value before, value written) in its
    timeline, which the workspace, the API's /activities and the phones show: an owner or
    status change of the same kind account_save records, naming the bulk change."""
    names = spec.displays({_key(v) for _a, old, new in rows for v in (old, new)})
    if undo:
        subject = _("Bulk change undone: %(field)s back from %(old)s to %(new)s")
        body = _("Undo of bulk change #%(id)s.")
    else:
        subject = _("Bulk change: %(field)s from %(old)s to %(new)s")
        body = _("Bulk change #%(id)s of %(count)s accounts.")
    now = timezone.now()
    kind = HISTORY_KINDS.get(spec.name, Activity.Kind.SYSTEM)
    insert_many([
        Activity(
            account=account, kind=kind, actor=actor, occurred_at=now,
            subject=(subject % {"field": spec.label(), "old": names[_key(old)],
                               "new": names[_key(new)]})[:200],
            body=body % {"id": change.pk, "count": len(change.items)},
            details=_details(spec, names, old, new) if kind != Activity.Kind.SYSTEM else {},
        )
        for account, old, new in rows
    ])  # fmt: skip


def _write(
    spec: BulkField, target: Target | None, rows: list[tuple[Account, Any, Any]], value: Any
) -> None:
    """Set the new values and save them with the sync bookkeeping, in one statement."""
    scopes = {a.pk: (a.territory_id, a.owner_id) for a, _old, _new in rows}
    spec.write(rows, value)
    accounts = [a for a, _old, _new in rows]
    if spec.moves_scope:
        accounts_moved(moves=[(a, scopes[a.pk]) for a in accounts])
    if target is not None:
        spec.verify(target=target, account_ids=[a.pk for a in accounts])


def bulk_change_apply(
    *, actor: User, field: str, value: Any, account_ids: Sequence[Any]
) -> tuple[BulkChange, dict[str, Any]]:
    """Apply the change to every account the preview would change, all in one transaction:
    one BulkChange row (the undo record) and one history entry per account. Refused and
    unchanged accounts stay as they are (and are reported); nothing to change is a 422."""
    with one_change_number():
        accounts = _accounts(
            actor=actor, account_ids=account_ids, lock=True, prefetch=_spec(field).prefetch()
        )
        plan = _plan(actor=actor, field_name=field, value=value, accounts=accounts)
        summary = _describe(plan)
        if not plan.changes:
            raise DomainError("account_ids", _("Nothing to change: every account is refused "
                                               "or has this value already."))  # fmt: skip
        rows = [(account, before, after) for account, before, after, _w in plan.changes]
        change = BulkChange.objects.create(
            actor=actor, field=plan.spec.name, value=plan.target.value,
            items=[{"id": str(a.pk), "name": a.name, "from": old, "to": new}
                   for a, old, new in rows],
            refused=summary["refused"],
        )  # fmt: skip
        _write(plan.spec, plan.target, rows, plan.target.value)
        _history(actor=actor, spec=plan.spec, rows=rows, change=change, undo=False)
    return change, summary


def _undo_rows(
    *, actor: User, spec: BulkField, change: BulkChange
) -> tuple[list[tuple[Account, Any, Any]], list[dict[str, str]]]:
    """The accounts an undo restores (account, value now, value restored) and those it skips,
    each with the reason (locked for the transaction)."""
    items = {item["id"]: item for item in change.items}
    writable = scoped(Account, actor, write=True).filter(pk__in=list(items))
    locked = writable.select_for_update(of=("self",)).prefetch_related(*spec.prefetch())
    found = {str(a.pk): a for a in locked}
    rows: list[tuple[Account, Any, Any]] = []
    skipped: list[dict[str, str]] = []
    # A refusal depends on the value put back, and a selection holds few distinct ones (an
    # owner, a tag set): each is asked once, not once per account (up to MAX_ACCOUNTS queries).
    refusals: dict[str, str | None] = {}
    for key, item in items.items():
        account = found.get(key)
        if account is None:
            reason: str | None = _("Deleted, or no longer yours to change.")
        elif spec.current(account, change.value) != item["to"]:
            reason = _("Changed since the bulk change: left as it is now.")
        else:
            value = json.dumps(item["from"], sort_keys=True)
            if value not in refusals:
                refusals[value] = spec.undo_refusal(actor=actor, account=account,
                                                    value=item["from"])  # fmt: skip
            reason = refusals[value]
        if reason or account is None:
            skipped.append({"id": key, "name": item["name"], "reason": reason or ""})
        else:
            rows.append((account, item["to"], item["from"]))
    return rows, skipped


def bulk_change_undo(*, actor: User, change_id: int | None = None) -> BulkChange:
    """Undo the caller's last bulk change (``change_id``, when given, must be that one): put
    back the previous value of every account whose value is still the one this change set,
    which the caller may still change; the others are kept and reported in ``undo_skipped``."""
    with one_change_number():
        change = BulkChange.objects.filter(actor=actor).select_for_update().order_by("-pk").first()
        if change is None or change.undone_at is not None:
            raise DomainError("id", _("There is no bulk change of yours to undo."))
        if change_id is not None and change_id != change.pk:
            raise DomainError("id", _("Only your last bulk change can be undone."))
        spec = _spec(change.field)
        rows, skipped = _undo_rows(actor=actor, spec=spec, change=change)
        _write(spec, None, rows, change.value)
        _history(actor=actor, spec=spec, rows=rows, change=change, undo=True)
        change.undone_at = timezone.now()
        change.undo_skipped = skipped
        change.save(update_fields=["undone_at", "undo_skipped"])
    return change
