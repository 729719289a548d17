"""What a rule can do, each through the service a person would use (so scope, validation and
the outbox apply): create a task, assign an owner, notify people, add a tag, change an
account's status, call a webhook. A rule acts as the admin who made it. Each action returns
one line for the run's log, or raises a DomainError naming what is wrong."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from fieldcrm.accounts.models import Account
from fieldcrm.accounts.services import account_set_tags, account_update
from fieldcrm.automation.models import Event, Rule, RuleRun, Webhook
from fieldcrm.automation.webhooks import webhook_enqueue
from fieldcrm.core.errors import DomainError
from fieldcrm.deals.services import deal_update
from fieldcrm.emails.services import email_send
from fieldcrm.notifications import clock
from fieldcrm.notifications.models import NotificationKind
from fieldcrm.notifications.services import notification_create
from fieldcrm.tasks.models import Task
from fieldcrm.tasks.services import task_create
from fieldcrm.users.models import User

ACTION_TYPES = ("create_task", "assign_owner", "notify", "add_tag", "set_status", "call_webhook",
                "send_email")  # fmt: skip
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(text: str, data: dict[str, Any]) -> str:
    """``{name}`` in a rule's text becomes the event's value (unknown names stay as written)."""
    return PLACEHOLDER.sub(lambda m: str(data.get(m.group(1), m.group(0))), text)


def _acting(rule: Rule) -> User:
    actor = rule.created_by
    if actor is None or not actor.is_active or not actor.is_admin:
        raise DomainError("rule", _("The admin who made this rule is gone: save it again."))
    return actor


def _owner_id(event: Event) -> int | None:
    data = event.data
    key = {"visit": "rep_id", "task": "assignee_id"}.get(event.record_type, "owner_id")
    return data.get(key)


def _account(event: Event) -> Account:
    account_id = event.record_id if event.record_type == "account" else event.data.get("account_id")
    account = Account.objects.filter(pk=account_id).first() if account_id else None
    if account is None:
        raise DomainError("record", _("This event has no account."))
    return account


def _person(event: Event, who: Any, field: str) -> User:
    if who == "owner":
        user_id = _owner_id(event)
        if user_id is None:
            raise DomainError(field, _("The record has no owner."))
    elif who == "actor":
        user_id = event.actor_id
        if user_id is None:
            raise DomainError(field, _("Nobody made this change (the system did)."))
    else:
        user_id = who
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        raise DomainError(field, _("No such active user."))
    return user


def _create_task(rule: Rule, event: Event, spec: dict[str, Any]) -> str:
    days = int(spec.get("due_in_days") or 0)
    assignee = _person(event, spec.get("assignee") or "owner", "assignee")
    about = {"deal": "deal_id", "account": "account_id"}.get(event.record_type)
    data = {
        "title": fill(str(spec.get("title") or ""), event.data)[:200] or rule.name,
        "kind": spec.get("kind") or Task.Kind.CALL,
        "notes": _("Made by the automation rule “%(rule)s”.") % {"rule": rule.name},
        "due_at": clock.now() + dt.timedelta(days=days),
        "assignee_id": assignee.pk,
    }
    if about:
        data[about] = event.record_id
    elif event.data.get("account_id"):
        data["account_id"] = event.data["account_id"]
    task = task_create(actor=_acting(rule), data=data)
    return _("Task “%(title)s” for %(who)s, due %(due)s") % {
        "title": task.title,
        "who": assignee.display_name,
        "due": task.due_at.date().isoformat() if task.due_at else "",
    }


def _round_robin(rule: Rule, account: Account) -> User:
    """The territory's reps in turn: the n-th assignment of this rule goes to rep n mod count."""
    if account.territory_id is None:
        raise DomainError("owner", _("The account is in no territory."))
    reps = list(User.objects.filter(territories=account.territory_id, is_active=True,
                                    role=User.Role.REP).order_by("pk"))  # fmt: skip
    if not reps:
        raise DomainError("owner", _("The account's territory has no rep."))
    done = RuleRun.objects.filter(rule=rule, status=RuleRun.Status.DONE).count()
    return reps[done % len(reps)]


def _assign_owner(rule: Rule, event: Event, spec: dict[str, Any]) -> str:
    actor = _acting(rule)
    if event.record_type == "deal":
        if spec.get("to") == "territory_rep":
            owner = _round_robin(rule, _account(event))
        else:
            owner = _person(event, spec.get("to"), "owner")
        deal_update(actor=actor, deal_id=int(event.record_id), data={"owner_id": owner.pk})
    else:
        account = _account(event)
        if spec.get("to") == "territory_rep":
            owner = _round_robin(rule, account)
        else:
            owner = _person(event, spec.get("to"), "owner")
        account_update(account=account, fields={"owner": owner}, actor=actor)
        # Later actions of this run ("notify the owner") mean the new one.
        event.data = {**event.data, "owner_id": owner.pk}
    return _("Owner set to %(who)s") % {"who": owner.display_name}


def _recipients(event: Event, to: list[Any]) -> list[User]:
    people: dict[int, User] = {}
    for who in to:
        if isinstance(who, str) and who.startswith("role:"):
            role = who.removeprefix("role:")
            match = Q(role=role) | Q(is_superuser=True) if role == User.Role.ADMIN else Q(role=role)
            for user in User.objects.filter(match, is_active=True):
                people[user.pk] = user
        else:
            user = _person(event, who, "to")
            people[user.pk] = user
    return list(people.values())


def _notify(rule: Rule, event: Event, spec: dict[str, Any]) -> str:
    message = fill(str(spec.get("message") or rule.name), event.data)[:300]
    record: tuple[str, Any] = ("", None)
    account_id = event.record_id if event.record_type == "account" else event.data.get("account_id")
    if account_id:
        record = ("account", account_id)
    people = _recipients(event, list(spec.get("to") or ["owner"]))
    for user in people:
        notification_create(
            recipient=user, kind=NotificationKind.AUTOMATION,
            params={"title": message, "rule": rule.name}, record=record,
            key=f"rule.{rule.pk}.{event.pk}.{user.pk}",
        )  # fmt: skip
    return _("Notified %(who)s") % {"who": ", ".join(u.display_name for u in people) or "—"}


def _add_tag(rule: Rule, event: Event, spec: dict[str, Any]) -> str:
    tag = fill(str(spec.get("tag") or ""), event.data).strip()
    if not tag:
        raise DomainError("tag", _("This field cannot be empty."))
    account = _account(event)
    account_set_tags(account=account, tags=[*account.tags.values_list("name", flat=True), tag])
    return _("Tag “%(tag)s” added to %(name)s") % {"tag": tag, "name": account.name}


def _set_status(rule: Rule, event: Event, spec: dict[str, Any]) -> str:
    status = spec.get("status")
    if status not in Account.Status.values:
        raise DomainError("status", _("Unknown account status."))
    account = _account(event)
    if account.status != status:
        account_update(account=account, fields={"status": status}, actor=_acting(rule))
    return _("Status of %(name)s: %(status)s") % {
        "name": account.name,
        "status": Account.Status(status).label,
    }


def _call_webhook(rule: Rule, event: Event, spec: dict[str, Any]) -> str:
    webhook_id = spec.get("webhook_id")
    webhook = (
        Webhook.objects.filter(pk=webhook_id, enabled=True).first()
        if isinstance(webhook_id, int) else None
    )  # fmt: skip
    if webhook is None:
        raise DomainError("webhook_id", _("No such enabled webhook."))
    queued = webhook_enqueue(webhook=webhook, event=event)
    if queued is None:
        return _("Webhook %(url)s: already queued for this event") % {"url": webhook.url}
    return _("Webhook %(url)s queued") % {"url": webhook.url}


def _send_email(rule: Rule, event: Event, spec: dict[str, Any]) -> str:
    """A templated e-mail to the account's primary contact (else its first with an address),
    through the same service as a person's e-mail: the suppression list refuses it (the run
    fails and says why), the unsubscribe link is in it, the worker sends it once."""
    account = _account(event)
    contact = account.contacts.exclude(email="").order_by("-is_primary", "name", "pk").first()
    if contact is None:
        raise DomainError("contact", _("The account has no contact with an e-mail address."))
    subject = fill(str(spec.get("subject") or ""), event.data)
    email_send(actor=_acting(rule), record_type="account", record_id=account.pk,
               contact_ids=[contact.pk], subject=subject,
               body=fill(str(spec.get("body") or ""), event.data))  # fmt: skip
    return _("E-mail “%(subject)s” to %(name)s queued") % {"subject": subject,
                                                          "name": contact.name}  # fmt: skip


ACTIONS = {
    "create_task": _create_task, "assign_owner": _assign_owner, "notify": _notify,
    "add_tag": _add_tag, "set_status": _set_status, "call_webhook": _call_webhook,
    "send_email": _send_email,
}  # fmt: skip


def action_run(*, rule: Rule, event: Event, spec: dict[str, Any]) -> str:
    action = ACTIONS.get(str(spec.get("type")))
    if action is None:
        raise DomainError("actions", _("Unknown action %(type)s.") % {"type": spec.get("type")})
    return action(rule, event, spec)
