"""Base model for the records phones create and edit offline."""

from __future__ import annotations

import string
import unicodedata
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar, cast

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
        shared = _shared_seq.get()
        if shared is not None:  # inside the transaction that holds the counter already
            self.change_seq = shared
            super().save(*args, **kwargs)
            return
        # The sequence number and the row must commit together, or a reader could move its
        # cursor past a number whose row is not visible yet.
        with transaction.atomic(using=kwargs.get("using")):
            self.change_seq = next_change_seq()
            super().save(*args, **kwargs)

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


# Set inside ``one_change_number``: the number every synced write there shares.
_shared_seq: ContextVar[int | None] = ContextVar("shared_change_seq", default=None)


@contextmanager
def one_change_number() -> Iterator[int]:
    """A transaction whose synced writes all share one change number, taken first.

    Taking the counter row first makes the block run alone among writers (its lock is held
    to commit), so checks made inside it cannot be raced; and a batch of writes costs one
    counter update instead of one per row. Rows sharing a number reach phones together
    (a pull page never splits a number).
    """
    with transaction.atomic():
        seq = next_change_seq()  # nested in another such block: the same transaction's number
        token = _shared_seq.set(seq)
        try:
            yield seq
        finally:
            _shared_seq.reset(token)


def write_atomic() -> transaction.Atomic:
    """``transaction.atomic`` for a service's writes (``write_transaction`` as a decorator).

    Inside ``one_change_number`` (a sync push, a bulk change, a merge) the enclosing block
    already holds a failure: each pushed item has its own savepoint, a failed run of creates
    is done again one by one, and the other callers let the error end the transaction. A
    savepoint of its own would add two round trips to PostgreSQL for nothing; nested in one
    another, they were more than half of a logged visit's statements (issue 22). Elsewhere it
    is the plain ``atomic``, savepoint included, for callers that catch and go on."""
    return transaction.atomic(savepoint=_shared_seq.get() is None)


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
def _numbered() -> Iterator[int]:
    """The change number for a write of several rows: the enclosing ``one_change_number``'s
    (no savepoint: see ``write_atomic``), else a transaction of its own that takes one."""
    shared = _shared_seq.get()
    if shared is not None:
        yield shared
        return
    with transaction.atomic():
        yield next_change_seq()


def next_change_seq() -> int:
    """Take the next change number inside the caller's transaction."""
    shared = _shared_seq.get()
    if shared is not None:
        return shared
    table = ChangeCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET value = value + 1 WHERE id = 1 RETURNING value")
        row = cursor.fetchone()
        if row is None:  # first write ever on this database
            cursor.execute(f"INSERT INTO {table} (id, value) VALUES (1, 1)")
            return 1
        return row[0]


def insert_many(objs: Sequence[SyncedModel]) -> None:
    """New rows of one model in one INSERT, with the bookkeeping ``save`` does: they share the
    transaction's change number. No ``post_save`` signal is sent (use ``save`` where one
    matters)."""
    if not objs:
        return
    with _numbered() as seq:
        for obj in objs:
            obj.refresh_derived()
            obj.change_seq = seq
        type(objs[0]).all_objects.bulk_create(objs)


def update_many(objs: Sequence[SyncedModel], fields: Sequence[str]) -> None:
    """Save ``fields`` of rows of one model in one UPDATE, with ``save``'s bookkeeping (version,
    derived fields, change number). No ``post_save`` signal: not for fields whose change
    others listen to (an account's territory or owner)."""
    if not objs:
        return
    with _numbered() as seq:
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
        rows = [
            [c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns]
            + [pk.get_db_prep_value(obj.pk, connection)]
            for obj in objs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


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
