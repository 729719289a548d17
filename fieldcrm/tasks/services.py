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
    )
    if data.get("id") is not None:
        task.id = data["id"]
    _save(task)
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
    for name, value in data.items():
        if value is None and name in ("title", "kind"):
            raise DomainError(name, _("This field cannot be empty."))
        setattr(task, name, "" if value is None and name == "notes" else value)
    return _save(task)


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
