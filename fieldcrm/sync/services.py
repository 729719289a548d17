"""Push: apply a batch of phone mutations, each once, each on its own.

Policy (README, "Sync"): creates are idempotent by op id and by record id; an edit is merged
per field — a field the server has not changed since the phone's copy takes the phone's value;
a field both changed differently keeps the server's value, is reported as a conflict, and the
phone's value is kept in the account's history. Deletes are soft. Every item gets one result;
a failure on one never touches another.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as SchemaError

from fieldcrm.access import NotAllowed, NotInScope, get_scoped, scoped
from fieldcrm.accounts.models import Activity
from fieldcrm.accounts.services import VersionConflict
from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.core.models import (
    StaleRead,
    numbered_at_commit,
    one_change_number,
    settle_late_writes,
    sync_epoch,
)
from fieldcrm.sync.entities import ENTITIES, Entity
from fieldcrm.sync.models import AppliedOp
from fieldcrm.sync.schemas import Mutation
from fieldcrm.users.models import User

Result = dict[str, Any]

# pg_advisory_xact_lock(PUSH_LOCK, user id): one user's pushes apply one at a time.
PUSH_LOCK = 22
DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for a deadlock it broke by failing this transaction


class Rejected(Exception):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class EpochChanged(Exception):
    """The phone's epoch is not this database's (it was restored): apply nothing."""

    def __init__(self, epoch: str) -> None:
        super().__init__(_("The server was restored from a backup; send your journal again."))
        self.epoch = epoch


def sync_push(
    *, actor: User, mutations: list[dict[str, Any]], epoch: str | None = None
) -> list[Result]:
    """One result per mutation, in order.

    ``epoch``: the one the phone knows. Another than this database's raises ``EpochChanged``
    before anything is applied: an edit queued on the phone may be of a record the restore
    took away, which only the phone's journal can bring back, so that goes first.

    The batch is one transaction (``numbered_at_commit``): its rows share one change number,
    taken as late as it can be, so other writers (the other worker's pushes above all) do not
    wait for the whole batch (issue 22; why the cursor stays safe: its docstring). One user's
    pushes apply one at a time (two tabs sending the same outbox cannot both apply an op):
    on PostgreSQL a transaction lock on the user, on SQLite the write lock taken at BEGIN.
    If a row the batch read was changed by another writer before the batch wrote it
    (``StaleRead``), PostgreSQL reports a deadlock, or a claim meets another's, the batch
    is rolled back and done again holding the counter from the start, which nothing can
    race. A rejected item
    leaves nothing behind while the others stand: it runs in its own savepoint, or, in a run
    of creates written together, is refused before the write.
    """
    items = [_parse(raw) for raw in mutations]
    sync_epoch()  # made (and committed) here if a restore just left none, not rolled back below
    try:
        with numbered_at_commit():
            return _push(actor, items, epoch)
    except (StaleRead, IntegrityError):
        # (IntegrityError: two users claiming one op id at once meet at its primary key;
        # held in turn, the second is answered "Not yours".)
        pass
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK:
            raise
    with transaction.atomic():
        # The user's lock before the counter, as the first attempt takes them: the other
        # order would deadlock with this user's other push waiting for the counter.
        _lock_user(actor)
        with one_change_number():
            return _push(actor, items, epoch)


def _lock_user(actor: User) -> None:
    """One user's pushes one at a time (PostgreSQL; SQLite's BEGIN IMMEDIATE already is)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PUSH_LOCK, actor.pk])


def _push(actor: User, items: list[Mutation | Result], epoch: str | None) -> list[Result]:
    """The batch, inside the caller's transaction."""
    _lock_user(actor)  # first: before the counter, whichever way the number is taken
    current = sync_epoch()  # inside the batch's transaction: what it writes counts in this one
    if epoch is not None and epoch != current:
        raise EpochChanged(current)
    op_ids = [item.op_id for item in items if isinstance(item, Mutation)]
    done = {op.op_id: op for op in AppliedOp.objects.filter(op_id__in=op_ids)}
    claims: list[AppliedOp] = []
    results: list[Result] = []
    for entity, run in _runs(items):
        # What an earlier item left to write when the number is taken (a logged visit's
        # account) is written before the next item reads: it may read the same rows.
        settle_late_writes()
        if entity is not None:
            results.extend(_create_run(actor, entity, run, done, claims))
            continue
        for item in run:
            is_op = isinstance(item, Mutation)
            results.append(_apply_once(actor, item, done, claims) if is_op else item)
            settle_late_writes()
    AppliedOp.objects.bulk_create(claims)
    return results


def _runs(items: list[Mutation | Result]) -> Iterator[tuple[Entity | None, list]]:
    """Consecutive creates of an entity that can write several at once form a run; anything
    else goes alone. Order is kept, so a visit to a prospect created earlier in the batch
    still finds it."""

    def key(item: Mutation | Result) -> str | None:
        if isinstance(item, Mutation) and item.action == "create":
            return item.entity if ENTITIES[item.entity].create_many else None
        return None

    for name, group in groupby(items, key):
        yield (ENTITIES[name] if name else None), list(group)


def _create_run(
    actor: User,
    entity: Entity,
    run: list[Mutation],
    done: dict[uuid.UUID, AppliedOp],
    claims: list[AppliedOp],
) -> list[Result]:
    """A run of creates written together, with the same answers one at a time would give.

    Anything unusual (a retried op, an id pushed twice, a record id already taken, a refusal
    of the whole run) goes the one-at-a-time way, which knows every case."""

    def one_by_one() -> list[Result]:
        return [_apply_once(actor, m, done, claims) for m in run]

    op_ids = {m.op_id for m in run}
    record_ids = {m.id for m in run}
    if len(run) < 2 or len(op_ids) < len(run) or len(record_ids) < len(run):
        return one_by_one()
    if op_ids & done.keys() or entity.model.all_objects.filter(pk__in=record_ids).exists():
        return one_by_one()
    results: dict[uuid.UUID, Result] = {}
    valid: list[tuple[Mutation, dict]] = []
    for m in run:
        try:
            valid.append((m, _create_data(entity, m)))
        except SchemaError as exc:
            results[m.op_id] = _rejected(m, entity, _schema_errors(exc))
    try:
        with transaction.atomic():
            assert entity.create_many is not None  # a run is formed only for such entities
            outcomes = entity.create_many(actor, [data for _, data in valid])
    except (IntegrityError, NotAllowed, NotInScope, DomainError, ValidationError):
        return one_by_one()  # rolled back to before the run
    for (m, _data), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, Exception):
            results[m.op_id] = _rejected(m, entity, _errors_of(outcome))
        else:
            results[m.op_id] = _result(str(m.op_id), "applied", entity, outcome)
    answers = [results[m.op_id] for m in run]
    for m, result in zip(run, answers, strict=True):
        _claim(actor, entity, m, result, done, claims)
    return answers


def _parse(raw: Any) -> Mutation | Result:
    try:
        mutation = Mutation.model_validate(raw)
    except SchemaError as exc:
        op_id = raw.get("op_id") if isinstance(raw, dict) else None
        errors = _schema_errors(exc, whole="mutation")
        return _result(str(op_id) if op_id else None, "rejected", errors=errors)
    if mutation.entity not in ENTITIES:
        return _result(str(mutation.op_id), "rejected", errors=[("entity", _("Unknown entity."))])
    return mutation


def _answer_again(done: AppliedOp) -> Result:
    """A retried op gets the first answer again. A rejection stays a rejection, with its
    reasons (answering "already applied" would hide from the rep that it never applied)."""
    if done.status == "rejected":
        return dict(done.result)
    return {**done.result, "status": "already_applied"}


def _apply_once(
    actor: User, mutation: Mutation, done: dict[uuid.UUID, AppliedOp], claims: list[AppliedOp]
) -> Result:
    earlier = done.get(mutation.op_id)
    if earlier is not None:
        if earlier.user_id != actor.pk:
            return _result(str(mutation.op_id), "rejected", errors=[("op_id", _("Not yours."))])
        return _answer_again(earlier)
    entity = ENTITIES[mutation.entity]
    try:
        with transaction.atomic():
            result = _apply(actor, entity, mutation)
    except Rejected as exc:
        result = _rejected(mutation, entity, exc.errors)
    except IntegrityError:
        # The record id is taken (the savepoint is rolled back): the id belongs to a record
        # out of scope, or an earlier op created this very record. Either way an answer for
        # this item alone, never a 500 for the whole batch.
        if mutation.action != "create":
            raise
        result = _create_clash(actor, entity, mutation)
    _claim(actor, entity, mutation, result, done, claims)
    return result


def _claim(
    actor: User,
    entity: Entity,
    mutation: Mutation,
    result: Result,
    done: dict[uuid.UUID, AppliedOp],
    claims: list[AppliedOp],
) -> None:
    """Remember the answer: the same op sent again gets it again."""
    claim = AppliedOp(
        op_id=mutation.op_id, user=actor, entity=entity.name, object_id=str(mutation.id),
        status=result["status"], result=result,
    )  # fmt: skip
    done[mutation.op_id] = claim
    claims.append(claim)


def _rejected(mutation: Mutation, entity: Entity, errors: list[tuple[str, str]]) -> Result:
    return _result(str(mutation.op_id), "rejected", entity, mutation.id, errors=errors)


def _schema_errors(exc: SchemaError, whole: str = "") -> list[tuple[str, str]]:
    """(field path, message) pairs; ``whole`` names an error about the whole object."""
    return [(".".join(map(str, e["loc"])) or whole, e["msg"]) for e in exc.errors()]


def _errors_of(exc: Exception) -> list[tuple[str, str]]:
    """A refusal from a service, as (field, message) pairs."""
    if isinstance(exc, NotInScope):
        return [("id", _("Out of your scope (moved, reassigned or deleted)."))]
    if isinstance(exc, NotAllowed):
        return [("id", str(exc))]
    if isinstance(exc, DomainError):
        return [(exc.field, exc.message)]
    if isinstance(exc, ValidationError):
        return validation_error_fields(exc)
    if isinstance(exc, SchemaError):
        return _schema_errors(exc)
    raise exc


def _apply(actor: User, entity: Entity, mutation: Mutation) -> Result:
    try:
        if mutation.action == "create":
            return _create(actor, entity, mutation)
        obj = get_scoped(entity.model, actor, mutation.id, write=True)
        # What the entity serialises with (an account's tags), read once for both the
        # comparison with the phone's values and the answer.
        entity.prefetch_one(obj)
        if mutation.action == "delete":
            if entity.delete is None:
                raise Rejected([("action", _("This record cannot be deleted."))])
            entity.delete(actor, obj)
            obj.refresh_from_db()
            return _result(str(mutation.op_id), "applied", entity, obj)
        return _update(actor, entity, mutation, obj)
    except (NotInScope, NotAllowed, DomainError, ValidationError, SchemaError) as exc:
        raise Rejected(_errors_of(exc)) from None
    except VersionConflict:
        # Edits merge field by field against base_version; a service's own stale-version
        # check must still settle this one item, never sink the batch.
        raise Rejected([("version", _("The record changed meanwhile; pull and retry."))]) from None


def _create(actor: User, entity: Entity, mutation: Mutation) -> Result:
    if entity.model.all_objects.filter(pk=mutation.id).exists():
        # The same record pushed under another op id: still one row (or not theirs at all).
        return _create_clash(actor, entity, mutation)
    obj = entity.create(actor, _create_data(entity, mutation))
    return _result(str(mutation.op_id), "applied", entity, obj)


def _create_data(entity: Entity, mutation: Mutation) -> dict[str, Any]:
    """The create's fields as the entity's API schema reads them (SchemaError if it refuses)."""
    fields = {**mutation.fields, "id": str(mutation.id)}
    data = entity.create_in.model_validate(fields).model_dump(exclude_unset=True)
    return {**data, "id": mutation.id}


def _create_clash(actor: User, entity: Entity, mutation: Mutation) -> Result:
    existing = scoped(entity.model, actor, queryset=entity.model.all_objects.all())
    already = existing.filter(pk=mutation.id).first()
    if already is not None and already.deleted_at is not None:
        # The record was created and then deleted here: the phone must drop it (its
        # tombstone comes with the next pull), not keep it as if it were live.
        return _result(str(mutation.op_id), "rejected", entity, mutation.id,
                       errors=[("id", _("This record has been deleted."))])  # fmt: skip
    if already is not None:
        return _result(str(mutation.op_id), "already_applied", entity, already)
    return _result(str(mutation.op_id), "rejected", entity, mutation.id,
                   errors=[("id", _("This id belongs to another record."))])  # fmt: skip


def _update(actor: User, entity: Entity, mutation: Mutation, obj: Any) -> Result:
    if entity.update is None or entity.patch_in is None:
        raise Rejected([("action", _("This record cannot be edited."))])
    if entity.check_update is not None:
        entity.check_update(actor, obj)
    wanted = {name: change.new for name, change in mutation.changes.items()}
    # ``version`` travels as the mutation's base_version, never as a changed field.
    unknown = set(wanted) - (set(entity.patch_in.model_fields) - {"version"})
    if unknown:
        raise Rejected([(name, _("Unknown or read-only field.")) for name in sorted(unknown)])
    entity.patch_in.model_validate(wanted)  # types and ranges, before anything is written
    current = entity.serialize(obj)
    apply: dict[str, Any] = {}
    conflicts = []
    for name, change in mutation.changes.items():
        server_value = current.get(name)
        based_on_current = server_value == _json(entity, name, change.old)
        if based_on_current or obj.version == mutation.base_version or name in entity.phone_wins:
            apply[name] = change.new
        elif server_value != _json(entity, name, change.new):
            conflicts.append({"field": name, "server": server_value, "yours": change.new})
    if apply:
        data = entity.patch_in.model_validate(apply).model_dump(exclude_unset=True)
        obj = entity.update(actor, obj, data)
    if conflicts:
        _record_conflict(actor, entity, obj, conflicts)
        return _result(str(mutation.op_id), "conflict", entity, obj, conflicts=conflicts)
    return _result(str(mutation.op_id), "applied", entity, obj)


def _json(entity: Entity, name: str, value: Any) -> Any:
    """A value as the server would serialise it, so phone and server copies compare equal."""
    try:
        validated = (entity.patch_in or entity.create_in).model_validate({name: value})
    except SchemaError:
        return value
    return validated.model_dump(mode="json", include={name}).get(name, value)


def _record_conflict(actor: User, entity: Entity, obj: Any, conflicts: list[dict]) -> None:
    """Both values stay in the history: the server's is kept, the phone's is written down."""
    account = entity.account_of(obj)
    if account is None:
        return
    lines = [
        _("%(field)s: kept %(server)r, %(who)s sent %(yours)r")
        % {"field": c["field"], "server": c["server"], "who": actor.username, "yours": c["yours"]}
        for c in conflicts
    ]
    Activity.objects.create(
        account=account, kind=Activity.Kind.SYSTEM, actor=actor, occurred_at=timezone.now(),
        subject=_("Edit conflict on %(entity)s") % {"entity": entity.name}, body="\n".join(lines),
    )  # fmt: skip


def _result(
    op_id: str | None,
    status: str,
    entity: Entity | None = None,
    obj: Any = None,
    *,
    errors: Sequence[tuple[str, str]] = (),
    conflicts: Sequence[dict] = (),
) -> Result:
    record = entity.serialize(obj) if entity is not None and hasattr(obj, "_meta") else None
    return {
        "op_id": op_id,
        "status": status,
        "entity": entity.name if entity else None,
        "id": str(obj.pk)
        if hasattr(obj, "pk")
        else (str(obj) if isinstance(obj, uuid.UUID) else None),
        "version": getattr(obj, "version", None),
        "record": record,
        "conflicts": list(conflicts),
        "errors": [{"field": f, "msg": m} for f, m in errors],
    }
