"""Running the outbox: each event once through the rules that listen for it and the webhooks
subscribed to it (the worker's step, registered in apps.py; Celery's job does the same).

- An event is claimed with one conditional UPDATE (a lease, like deliveries), so two workers
  never process it at once; a worker that dies leaves a lease that expires.
- A rule fires once per event: its RuleRun is unique on (rule, event) and is written in the
  same transaction as what the rule did, so a redelivered or re-processed event finds the run
  and does nothing again; a failed action rolls back every action of that run, and the run
  records why.
- Rules cannot loop: what a rule's actions change writes events one level deeper; an event
  ``MAX_DEPTH`` levels deep runs no rule, and each rule that would have run logs why.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fieldcrm.access import NotInScope
from fieldcrm.automation import actions
from fieldcrm.automation.models import Event, Rule, RuleRun
from fieldcrm.automation.outbox import caused_by
from fieldcrm.automation.webhooks import webhook_enqueue, webhooks_any, webhooks_for
from fieldcrm.core.errors import DomainError
from fieldcrm.crm.segments import segment_accounts
from fieldcrm.crm.selectors import segment_get
from fieldcrm.notifications import clock
from fieldcrm.users.models import User

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
MAX_DEPTH = 3
OPERATORS = ("eq", "ne", "contains", "gt", "lt", "changed", "becomes", "empty", "not_empty",
             "in_segment", "not_in_segment")  # fmt: skip
# Conditions on the event's account rather than a value: its ``value`` is a saved segment's id.
SEGMENT_OPS = ("in_segment", "not_in_segment")


def segment_condition_check(*, actor: User, value: Any, field: str) -> int:
    """The segment id of a segment condition, which ``actor`` (the rule's owner) may apply;
    otherwise a DomainError naming ``field``. The same check the run makes."""
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or len(text) > 18:
        raise DomainError(field, _("Choose a saved segment."))
    try:
        segment_get(actor=actor, segment_id=int(text))
    except NotInScope:
        raise DomainError(
            field, _("No segment with this id is yours or shared with your team.")
        ) from None
    return int(text)


def _event_account_id(event: Event) -> Any:
    return event.record_id if event.record_type == "account" else event.data.get("account_id")


def _segment_holds(rule: Rule, condition: dict[str, Any], event: Event) -> bool:
    """Whether the event's account is in the segment, read as the rule's owner reads it (the
    segment's filters within their scope); a segment they may no longer apply, or an event
    without an account, is not met."""
    account_id = _event_account_id(event)
    actor = rule.created_by
    if account_id is None or actor is None:
        return False
    try:
        segment_id = segment_condition_check(actor=actor, value=condition.get("value"), field="")
    except DomainError:
        return False
    inside = segment_accounts(actor=actor, segment_id=segment_id).filter(pk=account_id).exists()
    return inside == (condition.get("op") == "in_segment")


def _holds(rule: Rule, condition: dict[str, Any], event: Event) -> bool:
    if condition.get("op") in SEGMENT_OPS:
        return _segment_holds(rule, condition, event)
    return condition_holds(condition, event.data)


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return (
            str(a if a is not None else "").casefold() == str(b if b is not None else "").casefold()
        )
    return bool(a == b)


def condition_holds(condition: dict[str, Any], data: dict[str, Any]) -> bool:
    """One condition on the event's values (strings compare without case)."""
    field, op, want = condition.get("field", ""), condition.get("op", "eq"), condition.get("value")
    have = data.get(field)
    changed = field in (data.get("changed") or [])
    if op == "eq":
        return _same(have, want)
    if op == "ne":
        return not _same(have, want)
    if op == "contains":
        return str(want or "").casefold() in str(have or "").casefold()
    if op in ("gt", "lt"):
        a, b = _number(have), _number(want)
        return a is not None and b is not None and (a > b if op == "gt" else a < b)
    if op == "changed":
        return changed
    if op == "becomes":
        return changed and _same(have, want)
    if op == "empty":
        return have in (None, "", [])
    if op == "not_empty":
        return have not in (None, "", [])
    return False


def _run(rule: Rule, event: Event) -> tuple[str, list[str]]:
    unmet = [c for c in rule.conditions if not _holds(rule, c, event)]
    if unmet:
        return RuleRun.Status.SKIPPED, [
            _("Condition not met: %(field)s %(op)s %(value)s")
            % {"field": c.get("field"), "op": c.get("op"), "value": c.get("value")}
            for c in unmet
        ]
    if event.depth >= MAX_DEPTH:
        line = _(
            "Not run: this event was made by %(n)d rule runs in a row (the bound is %(n)d): "
            "rules are triggering each other."
        ) % {"n": MAX_DEPTH}
        log.warning("automation loop bound: rule %s on event %s (%s)", rule.pk, event.pk, line)
        return RuleRun.Status.LOOP, [line]
    lines = []
    # The run's own copy: an action may update it for the next ones ("assign, then notify
    # the owner"), and the next rule on this event must see the event as it was.
    seen = copy.copy(event)
    seen.data = dict(event.data)
    with caused_by(depth=event.depth + 1):
        for spec in rule.actions:
            lines.append(actions.action_run(rule=rule, event=seen, spec=spec))
    return RuleRun.Status.DONE, lines


def rule_run(*, rule: Rule, event: Event) -> str:
    """Run ``rule`` on ``event`` once; returns the run's status ("duplicate": ran before)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Claimed first (the unique key), its outcome set below in the same
                # transaction: nobody ever reads the placeholder status.
                run = RuleRun.objects.create(rule=rule, event=event, status=RuleRun.Status.FAILED,
                                             at=clock.now())  # fmt: skip
        except IntegrityError:
            return "duplicate"
        try:
            with transaction.atomic():  # a failing action undoes the run's other actions
                status, lines = _run(rule, event)
        except Exception as exc:  # any refusal of a service: the run says why, nothing half-done
            status = RuleRun.Status.FAILED
            message = getattr(exc, "message", None) or str(exc)
            field = getattr(exc, "field", None)
            lines = [f"{field}: {message}" if field else f"{type(exc).__name__}: {message}"]
            log.info("rule %s failed on event %s: %s", rule.pk, event.pk, lines[0])
        run.status, run.log = status, [str(line)[:500] for line in lines]
        run.save(update_fields=["status", "log"])
    return status


def event_process(event: Event) -> dict[str, int]:
    """The rules and webhooks of one event (each at most once, whoever calls this again)."""
    outcomes: dict[str, int] = {}
    rules = Rule.objects.filter(enabled=True, trigger=event.kind).select_related("created_by")
    if event.rule_id is not None:
        # A time-based event (schedule.py) is one rule's moment: only that rule runs on it.
        rules = rules.filter(pk=event.rule_id)
    for rule in rules:
        status = rule_run(rule=rule, event=event)
        outcomes[f"rule_{status}"] = outcomes.get(f"rule_{status}", 0) + 1
    if event.rule_id is not None:
        return outcomes  # one per rule: no webhook subscribes to these (services refuses)
    for webhook in webhooks_for(event):
        if webhook_enqueue(webhook=webhook, event=event) is not None:
            outcomes["webhook_queued"] = outcomes.get("webhook_queued", 0) + 1
    return outcomes


def _claimable(now: dt.datetime) -> Q:
    return Q(processed_at__isnull=True) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def events_process(*, limit: int = 500) -> dict[str, int]:
    """Process the events waiting now, oldest first; returns counts per outcome."""
    now = clock.now()
    if not Rule.objects.filter(enabled=True).exists() and not webhooks_any():
        # Nothing listens (the embedded default, an import of 10,000 accounts): close the
        # waiting events in one statement rather than one round trip each. A rule or
        # webhook made later does not replay events nobody listened for.
        closed = Event.objects.filter(_claimable(now)).update(processed_at=now)
        return {"events": closed} if closed else {}
    ids = list(Event.objects.filter(_claimable(now)).order_by("created_at", "id")
               .values_list("pk", flat=True)[:limit])  # fmt: skip
    outcomes: dict[str, int] = {}
    for event_id in ids:
        if not Event.objects.filter(_claimable(now), pk=event_id).update(claimed_until=now + LEASE):
            continue  # another worker has it
        event = Event.objects.get(pk=event_id)
        for key, n in event_process(event).items():
            outcomes[key] = outcomes.get(key, 0) + n
        Event.objects.filter(pk=event_id).update(processed_at=clock.now(), claimed_until=None)
        outcomes["events"] = outcomes.get("events", 0) + 1
    return outcomes
