"""Writes to tasks: create, edit, complete (idempotent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, can_create, get_scoped, scoped
from fieldcrm.accounts.models import Account, Contact
from fieldcrm.automation.models import EventType
from fieldcrm.automation.outbox import event_record
from fieldcrm.core.errors import DomainError
from fieldcrm.core.models import write_transaction
from fieldcrm.deals.models import Deal
from fieldcrm.tasks.models import Task
from fieldcrm.users.models import User
from fieldcrm.users.selectors import user_in_scope


def _assignee(actor: User, assignee_id: int | None) -> User:
    """Reps and planners assign only to themselves; managers and admins within their scope."""
    if assignee_id is None or assignee_id == actor.pk:
        return actor
    if actor.role in (User.Role.REP, User.Role.PLANNER):
        raise DomainError("assignee_id", _("No such user in your scope."))
    return user_in_scope(actor=actor, user_id=assignee_id, field="assignee_id", active=True)


def _save(task: Task) -> Task:
    task.full_clean()
    task.save()
    return task


def _attendees(actor: User, ids: list[int]) -> list[User]:
    """A meeting's attendees: active users in the caller's scope, the assignee's own
    presence implied (named again, they are simply kept once)."""
    found: dict[int, User] = {}
    for user_id in ids:
        if user_id not in found:
            found[user_id] = user_in_scope(
                actor=actor, user_id=user_id, field="attendee_ids", active=True
            )
    return list(found.values())


def _meeting_rules(task: Task, attendees: list[User] | None) -> None:
    """A meeting has a start; only a meeting has an end, a place or attendees."""
    if task.kind == Task.Kind.MEETING:
        if task.due_at is None:
            raise DomainError("due_at", _("A meeting needs a start time."))
        return
    if task.ends_at is not None:
        raise DomainError("ends_at", _("Only a meeting has an end time."))
    if attendees:
        raise DomainError("attendee_ids", _("Only a meeting has attendees."))


def _records(
    actor: User, data: dict[str, Any]
) -> tuple[Account | None, Contact | None, Deal | None]:
    """The record a task is about: an account, or a contact or deal (whose account it then
    takes), each in the caller's scope; several given must agree on the account."""
    found: dict[str, Any] = {}
    for field, model in (("account_id", Account), ("contact_id", Contact), ("deal_id", Deal)):
        if data.get(field) is None:
            continue
        try:
            found[field] = scoped(model, actor).filter(pk=data[field]).first()
        except (ValueError, TypeError, ValidationError):
            found[field] = None
        if found[field] is None:
            raise DomainError(field, _("No such record in your scope."))
    contact, deal = found.get("contact_id"), found.get("deal_id")
    account = found.get("account_id")
    for field, linked in (("contact_id", contact), ("deal_id", deal)):
        if linked is None:
            continue
        if account is not None and linked.account_id != account.pk:
            raise DomainError(field, _("It belongs to another account."))
        account = linked.account
    return account, contact, deal


@write_transaction
def task_create(*, actor: User, data: dict[str, Any]) -> Task:
    """A to-do for the caller or (managers, admins) someone in their scope."""
    if not can_create(Task, actor):
        raise NotAllowed(_("Your role may not create tasks."))
    if data.get("id") is not None and Task.all_objects.filter(pk=data["id"]).exists():
        raise DomainError("id", _("A task with this id already exists."))
    account, contact, deal = _records(actor, data)
    task = Task(
        title=data["title"].strip(),
        kind=data.get("kind") or Task.Kind.CALL,
        notes=data.get("notes") or "",
        account=account,
        contact=contact,
        deal=deal,
        assignee=_assignee(actor, data.get("assignee_id")),
        created_by=actor,
        due_at=data.get("due_at"),
        ends_at=data.get("ends_at"),
        location=(data.get("location") or "").strip(),
    )
    if data.get("id") is not None:
        task.id = data["id"]
    attendees = _attendees(actor, data.get("attendee_ids") or [])
    _meeting_rules(task, attendees)
    _save(task)
    task.attendees.set([u for u in attendees if u.pk != task.assignee_id])
    _task_event(EventType.TASK_CREATED, task, actor)
    return task


def _task_event(kind: str, task: Task, actor: User) -> None:
    event_record(kind=kind, record_type="task", record_id=task.pk, data={
        "id": task.pk, "title": task.title, "kind": task.kind, "assignee_id": task.assignee_id,
        "account_id": task.account_id, "deal_id": task.deal_id, "due_at": task.due_at,
        "done_at": task.done_at,
    }, actor=actor)  # fmt: skip


@write_transaction
def task_update(*, actor: User, task_id: object, data: dict[str, Any]) -> Task:
    task = get_scoped(Task, actor, task_id, write=True)
    if "assignee_id" in data:
        task.assignee = _assignee(actor, data.pop("assignee_id"))
    attendees = None
    if "attendee_ids" in data:
        attendees = _attendees(actor, data.pop("attendee_ids") or [])
    for name, value in data.items():
        if value is None and name in ("title", "kind"):
            raise DomainError(name, _("This field cannot be empty."))
        setattr(task, name, "" if value is None and name in ("notes", "location") else value)
    if task.kind != Task.Kind.MEETING and "kind" in data:
        # No longer a meeting: its end and attendees go (unless given again: then refused).
        if "ends_at" not in data:
            task.ends_at = None
        if attendees is None:
            attendees = []
    _meeting_rules(task, attendees)
    _save(task)
    if attendees is not None:
        task.attendees.set([u for u in attendees if u.pk != task.assignee_id])
    else:
        task.attendees.remove(task.assignee)  # a new assignee is no longer just invited
    return task


@write_transaction
def task_complete(*, actor: User, task_id: object) -> Task:
    """Mark done; completing a done task changes nothing (a retried tap is harmless)."""
    task = get_scoped(Task, actor, task_id, write=True)
    if task.done_at is None:
        task.done_at = timezone.now()
        task.save(update_fields=["done_at"])
        _task_event(EventType.TASK_COMPLETED, task, actor)
    return task


@write_transaction
def task_snooze(*, actor: User, task_id: object, until: dt.datetime) -> Task:
    """Put an open task off until ``until`` (a later moment than now)."""
    task = get_scoped(Task, actor, task_id, write=True)
    if task.done_at is not None:
        raise DomainError("until", _("A done task cannot be snoozed."))
    if until <= timezone.now():
        raise DomainError("until", _("Choose a moment in the future."))
    task.due_at = until
    return _save(task)
