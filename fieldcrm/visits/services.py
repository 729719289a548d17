"""Writes to visits: plan, check in, log (visit + activity + account + next step), edit;
several new ones at once for a phone's batch.

Visits are append-only history: once done, a visit's check-in and status stay as they were.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, can_create, get_scoped, scoped
from fieldcrm.accounts.models import Account, Activity
from fieldcrm.automation.models import Event, EventType
from fieldcrm.automation.outbox import event_build, events_write
from fieldcrm.core import geo
from fieldcrm.core.errors import DomainError
from fieldcrm.core.models import at_number, insert_many, update_many, validate, write_transaction
from fieldcrm.tasks.models import Task
from fieldcrm.users.models import User
from fieldcrm.users.selectors import user_in_scope
from fieldcrm.visits.models import Visit


def _rep_for(actor: User, rep_id: int | None) -> User:
    if rep_id is None or rep_id == actor.pk:
        return actor
    if actor.role == User.Role.REP:
        raise DomainError("rep_id", _("No such rep in your scope."))
    return user_in_scope(actor=actor, user_id=rep_id, field="rep_id", rep=True)


# A phone's clock may run ahead; a time further ahead of the server's clock than this is not
# believed (it would make the account look visited in the future and never due again).
CLOCK_AHEAD_MAX = dt.timedelta(hours=24)


def _client_time(visit: Visit, at: dt.datetime | None) -> dt.datetime:
    """A time the phone sent, or now; one more than a day ahead becomes the receipt time and
    flags the visit ``clock_skew``. Past times stand: history may be entered late."""
    now = timezone.now()
    if at is None:
        return now
    if at > now + CLOCK_AHEAD_MAX:
        visit.clock_skew = True
        return now
    return at


def _fix_time(visit: Visit, check_in: dict[str, Any]) -> dt.datetime | None:
    """When the GPS fix was taken, by the phone's clock, checked as the other times it sends.

    A clock found ahead on the check-in time moves the fix time by the same correction, so
    the fix's age at check-in stays what the phone measured; a fix time still more than a day
    ahead is not believed (the visit is flagged) and left unknown, not guessed."""
    fix_at = check_in.get("fix_at")
    if fix_at is None:
        return None
    sent_at = check_in.get("at")
    if sent_at is not None and visit.checked_in_at is not None:
        fix_at += visit.checked_in_at - sent_at
    if fix_at > timezone.now() + CLOCK_AHEAD_MAX:
        visit.clock_skew = True
        return None
    return fix_at


def _apply_check_in(visit: Visit, check_in: dict[str, Any], field: str = "check_in") -> None:
    """Record when the rep checked in, and where: the GPS fix's position, accuracy and own
    time, and how far that was from the account. Without a fix (``location`` null) the
    position is recorded as missing: no location, accuracy, fix time or distance."""
    if visit.status == Visit.Status.DONE and visit.checked_in_at is not None:
        raise DomainError(field, _("A done visit's check-in cannot be rewritten."))
    loc = check_in.get("location")
    visit.checked_in_at = _client_time(visit, check_in.get("at"))
    if loc is None:
        visit.check_in_location = None
        visit.check_in_accuracy_m = visit.check_in_fix_at = visit.distance_m = None
        return
    visit.check_in_location = Point(loc["lng"], loc["lat"], srid=geo.SRID)
    visit.check_in_accuracy_m = check_in.get("accuracy_m")
    visit.check_in_fix_at = _fix_time(visit, check_in)
    location = visit.account.location
    visit.distance_m = (
        None if location is None else geo.distance_m(visit.check_in_location, location)
    )


def _apply_check_out(visit: Visit, at: dt.datetime | None, field: str = "checked_out_at") -> None:
    """Record when the rep left (None: not yet). The phone's time is checked as every time it
    sends; before the check-in it is refused at ``checked_out_at`` by the model's clean()."""
    unchanged = at is not None and visit.checked_out_at == at
    if visit.status == Visit.Status.DONE and visit.checked_out_at is not None and not unchanged:
        raise DomainError(field, _("A done visit's check-out cannot be rewritten."))
    visit.checked_out_at = None if at is None else _client_time(visit, at)


def _save(visit: Visit) -> Visit:
    validate(visit)
    visit.save()
    return visit


@dataclass
class _Writes:
    """What logging adds (history, next steps, the accounts' last visit), gathered so a batch
    of visits is written with one statement per table."""

    new_visits: list[Visit] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    accounts: dict[Any, Account] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)  # the outbox (automation, webhooks)

    def flush(self) -> None:
        insert_many(self.new_visits)
        insert_many(self.activities)
        insert_many(self.tasks)
        if self.events:
            events_write(self.events)
        # Its last visit moved, so does its next due date (Account.refresh_derived). Written
        # when the change number is taken (in a sync push: at its end, so the counter is not
        # held while the rest of the batch runs).
        accounts = list(self.accounts.values())
        at_number(lambda: update_many(accounts, ["last_visited_at"]))


def visit_create(*, actor: User, data: dict[str, Any]) -> Visit:
    """Plan (and optionally check in to) a visit of an account in the caller's scope.

    With ``status`` ``done`` the visit arrives already logged, as a phone that was offline
    sends it (``outcome``, ``completed_at``, ``next_step`` as in ``visit_log``).
    """
    [outcome] = visit_create_many(actor=actor, items=[data])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@write_transaction
def visit_create_many(
    *, actor: User, items: Sequence[dict[str, Any]]
) -> list[Visit | DomainError | ValidationError]:
    """Several ``visit_create`` at once (a phone's offline day arrives as one batch).

    Each item is checked on its own, and a refused one is answered with its error, in its
    place, leaving nothing behind; the accepted ones are written together.
    """
    if not can_create(Visit, actor):
        raise NotAllowed(_("Your role may not create visits."))
    accounts = {
        str(pk): account
        for pk, account in scoped(Account, actor, write=True)
        .in_bulk({data["account_id"] for data in items})
        .items()
    }
    ids = [data["id"] for data in items if data.get("id") is not None]
    taken = {str(pk) for pk in Visit.all_objects.filter(pk__in=ids).values_list("pk", flat=True)}
    writes = _Writes()
    outcomes: list[Visit | DomainError | ValidationError] = []
    for data in items:
        try:
            outcomes.append(_new_visit(actor, data, accounts, taken, writes))
        except (DomainError, ValidationError) as exc:
            outcomes.append(exc)
    writes.flush()
    return outcomes


def _new_visit(
    actor: User,
    data: dict[str, Any],
    accounts: dict[str, Account],
    taken: set[str],
    writes: _Writes,
) -> Visit:
    """Build, check and queue one new visit; on an error nothing of it is queued."""
    account = accounts.get(str(data["account_id"]))
    if account is None:
        raise DomainError("account_id", _("No such account in your scope."))
    if data.get("id") is not None and str(data["id"]) in taken:
        raise DomainError("id", _("A visit with this id already exists."))
    visit = Visit(account=account, rep=_rep_for(actor, data.get("rep_id")))
    if data.get("id") is not None:
        visit.id = data["id"]
    for name in ("scheduled_on", "is_required", "window_start", "window_end", "notes"):
        if name in data:
            setattr(visit, name, data[name])
    if data.get("check_in") is not None:
        _apply_check_in(visit, data["check_in"])
    if data.get("checked_out_at") is not None:
        _apply_check_out(visit, data["checked_out_at"])
    status = data.get("status")
    if status == Visit.Status.DONE:
        visit.outcome = data.get("outcome") or Visit.Outcome.NONE
        _log(actor=actor, visit=visit, completed_at=data.get("completed_at"),
             next_step=data.get("next_step"), writes=writes)  # fmt: skip
    else:
        if status is not None:
            visit.status = status
        validate(visit)
    writes.new_visits.append(visit)
    taken.add(str(visit.pk))
    return visit


@write_transaction
def visit_check_in(*, actor: User, visit_id: object, check_in: dict[str, Any]) -> Visit:
    """Check in to a planned visit with the phone's GPS fix."""
    visit = get_scoped(Visit, actor, visit_id, write=True)
    _apply_check_in(visit, check_in)
    return _save(visit)


@write_transaction
def visit_update(*, actor: User, visit_id: object, data: dict[str, Any]) -> Visit:
    """Edit a visit; setting status ``done`` logs it (activity, account, as visit_log), with
    ``completed_at`` and ``next_step`` when given (a planned stop logged on the phone)."""
    visit = get_scoped(Visit, actor, visit_id, write=True)
    status = data.pop("status", None)
    if visit.status == Visit.Status.DONE and status not in (None, Visit.Status.DONE):
        raise DomainError("status", _("A done visit stays done."))
    if data.get("check_in") is not None:
        _apply_check_in(visit, data["check_in"])
    if "checked_out_at" in data:
        _apply_check_out(visit, data["checked_out_at"])
    for name in ("outcome", "notes", "scheduled_on", "window_start", "window_end"):
        if name in data:
            blank = "" if name in ("outcome", "notes") else None
            setattr(visit, name, blank if data[name] is None else data[name])
    if status == Visit.Status.DONE and visit.status != Visit.Status.DONE:
        return _log_existing(
            actor=actor, visit=visit, completed_at=data.get("completed_at"),
            next_step=data.get("next_step"),
        )  # fmt: skip
    if status is not None:
        visit.status = status
    return _save(visit)


@write_transaction
def visit_log(*, actor: User, visit_id: object, data: dict[str, Any]) -> Visit:
    """Complete a visit in one transaction: the visit, an Activity (kind visit) on the account,
    the account's ``last_visited_at`` (and so its next due date) and an optional next-step task."""
    visit = get_scoped(Visit, actor, visit_id, write=True)
    if visit.status == Visit.Status.DONE:
        raise DomainError("status", _("This visit is already logged."))
    if data.get("check_in") is not None:
        _apply_check_in(visit, data["check_in"])
    if data.get("checked_out_at") is not None:
        _apply_check_out(visit, data["checked_out_at"])
    visit.outcome = data.get("outcome") or Visit.Outcome.NONE
    visit.notes = data.get("notes") or visit.notes
    return _log_existing(
        actor=actor,
        visit=visit,
        completed_at=data.get("completed_at"),
        next_step=data.get("next_step"),
    )


def _log_existing(
    *, actor: User, visit: Visit, completed_at: dt.datetime | None, next_step: dict | None
) -> Visit:
    writes = _Writes()
    _log(actor=actor, visit=visit, completed_at=completed_at, next_step=next_step, writes=writes)
    visit.save()
    writes.flush()
    return visit


def _log(
    *,
    actor: User,
    visit: Visit,
    completed_at: dt.datetime | None,
    next_step: dict | None,
    writes: _Writes,
) -> None:
    """Mark the visit done and queue what logging adds: an Activity (kind visit) on the
    account, the account's ``last_visited_at``, the optional next-step task. Everything is
    checked before anything is queued."""
    visit.status = Visit.Status.DONE
    visit.completed_at = _client_time(visit, completed_at)
    validate(visit)
    activity = Activity(
        account=visit.account,
        kind=Activity.Kind.VISIT,
        actor=actor,
        occurred_at=visit.completed_at,
        subject=visit.get_outcome_display() if visit.outcome else _("Visit"),
        body=visit.notes,
        visit=visit,
    )
    validate(activity)
    task = None
    if next_step is not None:
        task = Task(
            title=next_step["title"],
            kind=next_step.get("kind") or Task.Kind.CALL,
            notes=next_step.get("notes") or "",
            due_at=next_step.get("due_at"),
            account=visit.account,
            assignee=visit.rep,
            created_by=actor,
        )
        validate(task)
        writes.tasks.append(task)
    writes.activities.append(activity)
    account = visit.account
    # A last visit in the future came from a skewed clock before times were checked: a real
    # visit replaces it.
    future = account.last_visited_at is not None and account.last_visited_at > (
        timezone.now() + CLOCK_AHEAD_MAX
    )
    if future or account.last_visited_at is None or account.last_visited_at < visit.completed_at:
        account.last_visited_at = visit.completed_at
        writes.accounts[account.pk] = account
    # Last, after every check: a refused item of a batch leaves no event behind.
    data = {
        "id": visit.pk, "account_id": visit.account_id, "account": visit.account.name,
        "rep_id": visit.rep_id, "outcome": visit.outcome, "notes": visit.notes,
        "completed_at": visit.completed_at,
    }  # fmt: skip
    writes.events.append(
        event_build(
            kind=EventType.VISIT_LOGGED,
            record_type="visit",
            record_id=visit.pk,
            data=data,
            actor=actor,
        )  # fmt: skip
    )
