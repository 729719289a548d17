"""Base model for the records phones create and edit offline."""

from __future__ import annotations

import string
import unicodedata
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Characters that print as nothing: a name made only of them would look blank yet pass as text.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


class CleanText:
    """Mixin for models: every text field is normalised the same way on every path (API,
    sync, import, admin), before the field checks run: Unicode NFC, no NUL (PostgreSQL cannot
    store it), surrounding whitespace and invisible characters stripped, so blank is blank."""

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        errors: dict[str, list[str]] = {}
        for field in self._meta.concrete_fields:  # type: ignore[attr-defined]
            if not isinstance(field, models.CharField | models.TextField) or field.choices:
                continue
            value = getattr(self, field.attname)
            if not isinstance(value, str):
                continue
            if "\x00" in value:
                errors[field.name] = [str(_("NUL characters are not allowed."))]
                continue
            text = unicodedata.normalize("NFC", value).strip(string.whitespace + INVISIBLE)
            setattr(self, field.attname, text)
        if errors:
            raise ValidationError(errors)
        super().clean_fields(exclude=exclude)  # type: ignore[misc]


class LiveManager(models.Manager):
    """Hides soft-deleted rows; sync and admin use ``all_objects`` to see tombstones."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SyncedModel(CleanText, models.Model):
    """A row a phone may create offline.

    The primary key is a UUID the client may generate, so a retried push is a no-op rather
    than a duplicate. ``version`` grows by one on every save: an edit made on an old copy is
    detectable. Deletion is soft, so the deletion itself can reach every device.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    # Position in the global change order (see ChangeCounter); phones pull "changed since N".
    change_seq = models.BigIntegerField(default=0, db_index=True, editable=False)

    objects = LiveManager()
    all_objects = models.Manager()  # noqa: DJ012 - objects must stay the default manager
    # The version an existing row must still have when this copy writes it (``_do_update``).
    _guard_version: int | None = None

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            self.version += 1
        self.updated_at = timezone.now()
        derived = self.refresh_derived()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields, *derived, "version", "updated_at", "change_seq"
            }  # fmt: skip
        block = _block.get()
        if block is not None:  # inside ``one_change_number`` / ``numbered_at_commit``
            if self._state.adding and block.seq is None:
                # A new row: no reader can see it before commit, so its number can wait
                # (stamped by ``numbered_at_commit`` just before the commit).
                self.change_seq = PLACEHOLDER
                block.placeholders.add(cast(type[models.Model], self._meta.concrete_model))
            else:
                self.change_seq = block.take()
            if block.guard and not self._state.adding:
                self._guard_version = self.version - 1
            try:
                super().save(*args, **kwargs)
            finally:
                self._guard_version = None
            return
        # The sequence number and the row must commit together, or a reader could move its
        # cursor past a number whose row is not visible yet.
        with transaction.atomic(using=kwargs.get("using")):
            self.change_seq = next_change_seq()
            super().save(*args, **kwargs)

    def _do_update(self, base_qs: Any, using: Any, pk_val: Any, values: Any, *args: Any) -> Any:
        """Inside ``numbered_at_commit`` an existing row is written only if it still has the
        version this copy was read at (see ``StaleRead``)."""
        guard = self._guard_version
        if guard is None:
            return super()._do_update(base_qs, using, pk_val, values, *args)
        if not values:
            return True
        if base_qs.filter(pk=pk_val, version=guard)._update(values) != 1:
            raise StaleRead(type(self), pk_val)
        return True

    def refresh_derived(self) -> tuple[str, ...]:
        """Recompute fields derived from others before every write; returns their names."""
        return ()

    def soft_delete(self) -> None:
        """Mark deleted; the row stays as a tombstone for sync."""
        self.deleted_at = timezone.now()
        self.save(update_fields=["deleted_at"])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class ChangeCounter(models.Model):
    """One row whose value orders every change to a synced row.

    Taking the next value locks the row until the writing transaction ends, so numbers become
    visible in commit order: a pull that has seen N has seen every change numbered below N.
    Clocks and insert order cannot promise that (a long transaction commits late).
    """

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


class SyncEpoch(models.Model):
    """The installation's sync identity: one row, a random UUID, new after every restore.

    A restore winds the change counter back while every phone holds a cursor from the future
    (and has settled work the restored database never saw). The epoch tells them apart: every
    pull and push answer carries it, and a phone that sees a new one pulls from zero and sends
    its journal of acknowledged work again (README, "Backups and restore"). A migration makes
    the row; a restore brings the database back without it, so the first reader after the
    restore makes a new one (``sync_epoch``), in the restored data's own timeline.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.UUIDField(default=uuid.uuid4)

    def __str__(self) -> str:
        return str(self.value)


def sync_epoch() -> str:
    """The current epoch, made on first use (a fresh or just-restored database)."""
    value = SyncEpoch.objects.filter(pk=1).values_list("value", flat=True).first()
    if value is None:
        try:
            with transaction.atomic():
                SyncEpoch.objects.create(pk=1, value=uuid.uuid4())
        except IntegrityError:
            pass  # another process made it first: theirs stands
        value = SyncEpoch.objects.values_list("value", flat=True).get(pk=1)
    return str(value)


# A new row's change number inside ``numbered_at_commit`` until the number is taken: never
# committed (the block stamps every such row with the real number before it commits).
PLACEHOLDER = -1


class StaleRead(Exception):
    """Inside ``numbered_at_commit``: an existing row changed after this transaction read it
    and before it wrote it (another writer committed in between). The block is rolled back
    and done again with the number taken first (``sync_push``)."""


class _Block:
    """The enclosing ``one_change_number`` or ``numbered_at_commit``: the number every synced
    write there shares (``seq``, None while not taken yet), the models holding rows written
    with the placeholder, and whether existing rows are written only at the version read."""

    def __init__(self, seq: int | None, *, guard: bool) -> None:
        self.seq = seq
        self.guard = guard
        self.placeholders: set[type[models.Model]] = set()
        self.late_writes: list[Callable[[], object]] = []

    def take(self) -> int:
        """The block's number, taken now if not yet (the counter row is held from here on)."""
        if self.seq is None:
            self.seq = _counter_next()
        return self.seq


_block: ContextVar[_Block | None] = ContextVar("change_number_block", default=None)


@contextmanager
def one_change_number() -> Iterator[int]:
    """A transaction whose synced writes all share one change number, taken first.

    Taking the counter row first makes the block run alone among writers (its lock is held
    to commit), so checks made inside it cannot be raced; and a batch of writes costs one
    counter update instead of one per row. Rows sharing a number reach phones together
    (a pull page never splits a number). Nested in ``numbered_at_commit``, the enclosing
    block takes its number here (so what follows runs alone among writers, as above).
    """
    outer = _block.get()
    with transaction.atomic():
        if outer is not None:  # nested: the same transaction's number
            yield outer.take()
            return
        block = _Block(_counter_next(), guard=False)
        token = _block.set(block)
        try:
            yield cast(int, block.seq)
        finally:
            _block.reset(token)


@contextmanager
def numbered_at_commit() -> Iterator[None]:
    """A transaction whose synced writes share one change number, taken as late as it can be
    (issue 22: a push held the counter row, so every other writer waited, for its whole
    transaction). Used by ``sync_push``.

    Why the cursor stays safe. What makes a pull's cursor safe is that a number is held
    from the moment it is taken until its transaction commits: numbers commit in order, and
    a reader that sees the counter at N sees every row numbered up to N (``ChangeCounter``).
    That still holds here: the block writes its rows exactly as before, but

    - a NEW row is written with ``PLACEHOLDER`` until the number is taken; no other
      transaction can see it before commit, so what number it bears meanwhile is nobody's
      business. Just before the commit the block takes the number (if it has not yet) and
      stamps those rows, one ``UPDATE ... SET change_seq = N WHERE change_seq = -1`` per
      model written (an index lookup; other transactions' placeholder rows are invisible to
      it and are never waited for). So every row of the block commits with N, together (a
      pull page never splits a number), and no committed row ever bears the placeholder;
      numbers are still taken one per transaction from the one counter row, so none is
      skipped or repeated.
    - writing an EXISTING row (``save`` of a loaded row, ``update_many``, ``touch``), or
      asking for the number (``next_change_seq``, a nested ``one_change_number``) takes the
      number first: from there on the block holds the counter to commit as before. Such a
      row is visible to others, so it must not be held with a placeholder; and taking the
      counter before any existing row's lock keeps the one lock order every writer uses
      (counter, then rows), so no deadlock is added.
    - what was read before the number was taken may have been changed by a writer that
      committed meanwhile (before, the counter made the block run alone among writers).
      So each existing row is written only if it still has the version its copy was read
      at (``version`` grows on every synced write): otherwise ``StaleRead``, the whole
      block rolls back and its caller does it again with the number taken first (the old
      way, which cannot be raced). A create of a new row cannot be stale; two creates of
      the same id meet at the primary key. ``sync_push`` also serialises one user's own
      pushes (two tabs sending the same outbox) with a lock of its own.

    SQLite takes its write lock at BEGIN (``transaction_mode="IMMEDIATE"``), so there the
    block runs alone anyway and only the number's place changes.
    """
    if _block.get() is not None:  # nested in a block that numbers already: it decides
        with transaction.atomic():
            yield
        return
    with transaction.atomic():
        block = _Block(None, guard=True)
        token = _block.set(block)
        try:
            yield
            if transaction.get_rollback():  # nothing of it commits
                return
            if block.placeholders or block.late_writes:
                seq = block.take()
                settle_late_writes()
                if block.placeholders:
                    _stamp(seq, sorted(m._meta.db_table for m in block.placeholders))
        finally:
            _block.reset(token)


def at_number(write: Callable[[], object]) -> None:
    """Run ``write``, a write of existing rows that nothing later in the transaction reads
    (a logged visit's account: its last visit), once the number is taken: in
    ``numbered_at_commit`` just before the commit or before the block reads again
    (``settle_late_writes``: a push's next item), so the counter is not held while the rest
    of a run of creates is answered; its version guard still applies. Elsewhere now."""
    block = _block.get()
    if block is None or not block.guard or block.seq is not None:
        write()
        return
    block.late_writes.append(write)


def settle_late_writes() -> None:
    """Write what ``at_number`` left for later now (taking the number): before something else
    in the block reads rows those writes change (the next item of a push)."""
    block = _block.get()
    if block is not None and block.late_writes:
        block.take()
        writes, block.late_writes = block.late_writes, []
        for write in writes:
            write()


def _stamp(seq: int, tables: list[str]) -> None:
    """Give the placeholder rows of ``tables`` the number ``seq``: on PostgreSQL one statement
    (data-modifying WITH clauses: one round trip while the counter is held), else one each."""
    quote = connection.ops.quote_name
    updates = [f"UPDATE {quote(t)} SET change_seq = %s WHERE change_seq = %s" for t in tables]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(updates) > 1:
            parts = [f"s{i} AS ({u} RETURNING 1)" for i, u in enumerate(updates[1:])]
            sql = f"WITH {', '.join(parts)} {updates[0]}"
            cursor.execute(sql, [seq, PLACEHOLDER] * len(updates))
            return
        for update in updates:
            cursor.execute(update, [seq, PLACEHOLDER])


def write_atomic() -> transaction.Atomic:
    """``transaction.atomic`` for a service's writes (``write_transaction`` as a decorator).

    Inside ``one_change_number`` (a sync push, a bulk change, a merge) the enclosing block
    already holds a failure: each pushed item has its own savepoint, a failed run of creates
    is done again one by one, and the other callers let the error end the transaction. A
    savepoint of its own would add two round trips to PostgreSQL for nothing; nested in one
    another, they were more than half of a logged visit's statements (issue 22). Elsewhere it
    is the plain ``atomic``, savepoint included, for callers that catch and go on."""
    return transaction.atomic(savepoint=_block.get() is None)


P = ParamSpec("P")
R = TypeVar("R")


def write_transaction(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` in ``write_atomic()`` (decided at each call, not at import)."""

    @wraps(func)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        with write_atomic():
            return func(*args, **kwargs)

    return inner


@contextmanager
def _numbered(*, new_rows: bool = False) -> Iterator[int]:
    """The change number for a write of several rows: the enclosing block's (no savepoint:
    see ``write_atomic``; for ``new_rows`` in ``numbered_at_commit`` the placeholder, the
    caller registering its model), else a transaction of its own that takes one."""
    block = _block.get()
    if block is not None:
        yield PLACEHOLDER if new_rows and block.seq is None else block.take()
        return
    with transaction.atomic():
        yield next_change_seq()


def _counter_next() -> int:
    table = ChangeCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET value = value + 1 WHERE id = 1 RETURNING value")
        row = cursor.fetchone()
        if row is None:  # first write ever on this database
            cursor.execute(f"INSERT INTO {table} (id, value) VALUES (1, 1)")
            return 1
        return row[0]


def next_change_seq() -> int:
    """Take the next change number inside the caller's transaction (in a block: its one)."""
    block = _block.get()
    if block is not None:
        return block.take()
    return _counter_next()


def insert_many(objs: Sequence[SyncedModel]) -> None:
    """New rows of one model in one INSERT, with the bookkeeping ``save`` does: they share the
    transaction's change number. No ``post_save`` signal is sent (use ``save`` where one
    matters)."""
    if not objs:
        return
    model = type(objs[0])
    with _numbered(new_rows=True) as seq:
        if seq == PLACEHOLDER:
            cast(_Block, _block.get()).placeholders.add(
                cast(type[models.Model], model._meta.concrete_model)
            )
        for obj in objs:
            obj.refresh_derived()
            obj.change_seq = seq
        model.all_objects.bulk_create(objs)


def update_many(objs: Sequence[SyncedModel], fields: Sequence[str]) -> None:
    """Save ``fields`` of rows of one model in one UPDATE, with ``save``'s bookkeeping (version,
    derived fields, change number). No ``post_save`` signal: not for fields whose change
    others listen to (an account's territory or owner). In ``numbered_at_commit`` a row
    changed since it was read raises ``StaleRead``."""
    if not objs:
        return
    with _numbered() as seq:
        block = _block.get()
        guard = block is not None and block.guard
        now = timezone.now()
        derived: set[str] = set()
        for obj in objs:
            derived.update(obj.refresh_derived())
            obj.version += 1
            obj.updated_at = now
            obj.change_seq = seq
        model = type(objs[0])
        pk = model._meta.pk
        # Concrete fields only (the names are this model's own columns).
        columns = [
            cast(models.Field, model._meta.get_field(name))
            for name in [*fields, *derived, "version", "updated_at", "change_seq"]
        ]
        # One statement run with many rows of values: bulk_update's CASE WHEN expression costs
        # ~0.3 ms of Python per row to build.
        quote = connection.ops.quote_name
        sets = ", ".join(f"{quote(cast(str, column.column))} = %s" for column in columns)
        sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(pk.column or '')} = %s"
        if guard:
            sql += f" AND {quote('version')} = %s"
        rows = [
            [c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns]
            + [pk.get_db_prep_value(obj.pk, connection)]
            + ([obj.version - 1] if guard else [])
            for obj in objs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
            if guard and cursor.rowcount != len(rows):
                raise StaleRead(model, None)


def validate(obj: models.Model) -> None:
    """``full_clean`` without the lookups that cannot fail: a relation given as a loaded object
    (it was just read) and a new row's own primary key (services check a client-chosen id
    themselves, naming ``id``; a generated one is new)."""
    exclude = [
        f.name
        for f in obj._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.is_cached(obj)
    ]
    if obj._state.adding:
        exclude.append(obj._meta.pk.name)
    obj.full_clean(exclude=exclude)


def touch(queryset: models.QuerySet) -> int:
    """Re-send rows to phones without changing them (e.g. they entered someone's scope)."""
    with _numbered() as seq:
        return queryset.update(change_seq=seq)
