"""Pull: what changed for this user since their cursor, in pages, in commit order."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import DatabaseError
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone

from fieldcrm.access import region_ids, scoped
from fieldcrm.accounts.models import Account, Contact
from fieldcrm.core.models import ChangeCounter, SyncEpoch, sync_epoch
from fieldcrm.core.replica import replica_configured, replica_snapshot
from fieldcrm.plans.models import RouteSheet
from fieldcrm.sync.entities import ENTITIES, Entity
from fieldcrm.sync.models import ScopeLoss
from fieldcrm.tasks.models import Task
from fieldcrm.territories.models import Territory
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

logger = logging.getLogger(__name__)

DEFAULT_PAGE = 500
MAX_PAGE = 2000


def committed_cursor() -> int:
    """The highest change number whose transaction has committed.

    A writer holds the counter row from taking a number until it commits, so reading the
    counter sees a value only once every number up to it is visible.
    """
    return ChangeCounter.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def sync_state() -> tuple[int, str]:
    """The committed cursor and the epoch it counts in, in one read (one snapshot)."""
    ceiling, epoch, _heads = _state(heads=False)
    return ceiling, epoch


def _newest(rows: QuerySet) -> Subquery:
    """A table's highest change number (one step down its change_seq index)."""
    return Subquery(rows.order_by("-change_seq").values("change_seq")[:1])


def _state(*, heads: bool) -> tuple[int, str, dict[str, int]]:
    """``sync_state``, and with ``heads`` each synced table's newest change number read in the
    same statement: a table whose newest is not past the cursor has nothing for the pull, so
    its page is not asked for (most pulls find changes in two or three tables of eight)."""
    counter = ChangeCounter.objects.filter(pk=1).values("value")[:1]
    newest: dict[str, Subquery] = {}
    if heads:
        newest = {
            f"head_{name}": _newest(e.model.all_objects.all()) for name, e in ENTITIES.items()
        }
        newest["head_losses"] = _newest(ScopeLoss.objects.all())
    row = (
        SyncEpoch.objects.filter(pk=1)
        .annotate(counter=Subquery(counter), **newest)
        .values("counter", "value", *newest)
        .first()
    )
    if row is None:  # just restored: the first reader makes the new epoch (core.SyncEpoch)
        return committed_cursor(), sync_epoch(), {}
    found = {key.removeprefix("head_"): row[key] or 0 for key in newest}
    return row["counter"] or 0, str(row["value"]), found


def start_over(epoch: str) -> dict[str, Any]:
    """The answer to a pull that names another epoch: its cursor counts in a timeline this
    database does not have (a restore happened), so no rows, cursor 0, pull again from there."""
    return {
        "epoch": epoch, "cursor": 0, "more": True, "epoch_changed": True,
        "changes": {}, "deleted": {}, "removed": {},
    }  # fmt: skip


def sync_pull(
    *,
    actor: User,
    cursor: int,
    limit: int = DEFAULT_PAGE,
    tombstones_since: int | None = None,
    epoch: str | None = None,
) -> dict[str, Any]:
    """Changed, deleted and no-longer-visible records since ``cursor``; ``more`` means call
    again with the returned cursor. A fresh install (cursor 0) gets no tombstones, except
    those after ``tombstones_since``: the cursor of the head start it already stored.

    With a replica configured it answers from there, in one snapshot, unless the replica
    has not yet replayed up to ``cursor`` (the phone has seen more than it: an earlier pull
    was answered by the primary): then the primary answers, so a lagging replica never
    steps a phone's cursor back nor tells it "nothing new" about rows it has not shown.

    ``epoch``: the one the phone knows; another than this database's gets ``start_over``."""
    if replica_configured():
        primary_epoch = sync_epoch()  # read on the primary: see below
        try:
            with replica_snapshot():
                answer = _pull(
                    actor, cursor, limit, tombstones_since, epoch, on_replica=primary_epoch
                )
        except DatabaseError:
            # The replica is down, or cancelled the read in a conflict with its replay.
            logger.warning("sync pull: replica unavailable, read from the primary", exc_info=True)
            answer = None
        if answer is not None:
            return answer
    answer = _pull(actor, cursor, limit, tombstones_since, epoch, on_replica=None)
    assert answer is not None  # the primary always answers
    return answer


def _pull(
    actor: User,
    cursor: int,
    limit: int,
    tombstones_since: int | None,
    known_epoch: str | None,
    *,
    on_replica: str | None,
) -> dict[str, Any] | None:
    """One pull page from wherever reads go; None when the replica is behind ``cursor`` or in
    another epoch than the primary's (``on_replica``: the primary's epoch, None on the primary).

    After a restore into the primary a standby that was not re-seeded (a point-in-time
    recovery leaves it on a timeline the primary has left) goes on serving the old epoch and
    its rows, and would answer the phones that have not met the restore yet "nothing new"
    forever, and tell a fresh phone the old epoch. So the replica answers only in the
    primary's epoch (one row read on the primary, by primary key, per pull); otherwise the
    primary answers, until the replica is re-seeded (README, "Read replica")."""
    # Read first: every row up to it is visible to what follows.
    ceiling, epoch, heads = _state(heads=True)
    if on_replica is not None and epoch != on_replica:
        return None
    if known_epoch is not None and known_epoch != epoch:
        # The replica may not have replayed a restore the phone has already met on the
        # primary: the primary decides, so a phone never flaps between two epochs.
        return None if on_replica is not None else start_over(epoch)
    if on_replica is not None and cursor > ceiling:
        return None
    if cursor > ceiling:
        # On the primary a cursor from the future can only come from before a restore: a
        # phone that names no epoch (an older app) starts over too, rather than step back to
        # a number whose rows it never saw.
        return start_over(epoch)
    if cursor >= ceiling:
        # Nothing committed since the cursor, in any entity or scope change (they all take
        # their numbers from the one counter): a quiet pull costs this one read, whatever
        # the size of the database or of the caller's scope.
        return {"epoch": epoch, "cursor": ceiling, "more": False,
                "changes": {}, "deleted": {}, "removed": {}}  # fmt: skip

    def changed(name: str) -> bool:
        return heads.get(name, ceiling) > cursor  # unknown (just restored): ask

    pages = {
        name: _page(e, actor, cursor, ceiling, limit) if changed(name) else ([], False)
        for name, e in ENTITIES.items()
    }
    losses, losses_full = _loss_page(cursor, ceiling, limit) if changed("losses") else ([], False)
    truncated = [rows[-1][0] for rows, full in pages.values() if full and rows]
    if losses_full and losses:
        truncated.append(losses[-1].change_seq)
    bound = min(truncated) if truncated else ceiling
    changes: dict[str, list[dict]] = {}
    deleted: dict[str, list[str]] = {}
    for name, (rows, _full) in pages.items():
        entity = ENTITIES[name]
        for seq, obj in rows:
            if seq > bound:
                break
            if obj.deleted_at is None:
                changes.setdefault(entity.plural, []).append(entity.serialize(obj))
            elif cursor > 0 or (tombstones_since is not None and seq > tombstones_since):
                # (a fresh install never had it: no tombstone needed)
                deleted.setdefault(entity.plural, []).append(str(obj.pk))
    removed = _removed_accounts(actor, [x for x in losses if x.change_seq <= bound])
    # A deleted account takes its history with it: the phone drops an account's contacts,
    # activities, visits and tasks only for ``removed`` (their rows are not deleted, so no
    # tombstone of theirs will ever come), so a deleted account is "removed" as well.
    gone = set(removed) | set(deleted.get(ENTITIES["account"].plural, []))
    removed = sorted(gone)
    return {
        "epoch": epoch,
        "cursor": bound,
        "more": bool(truncated),
        "changes": changes,
        "deleted": deleted,
        "removed": {"accounts": removed} if removed else {},
    }


def sync_today(*, actor: User) -> dict[str, Any]:
    """A fresh phone's head start: the caller's route from yesterday to tomorrow (so whatever
    the phone's time zone, its today is in), those accounts and their contacts, and the
    caller's open tasks due by then — in the pull's shape. Its ``cursor`` is not a place to
    pull from: the phone passes it as ``tombstones_since`` while its own cursor is 0.

    On a slow network the first full pull takes a while; with this the rep works at once.
    The full pull sends the same rows again (never an older version), so nothing is lost or
    kept stale by storing them twice.
    """
    if replica_configured():
        primary_epoch = sync_epoch()  # as for a pull: the replica answers in the primary's epoch
        try:
            with replica_snapshot():
                answer = _today(actor)
            if answer["epoch"] == primary_epoch:
                return answer
        except DatabaseError:
            logger.warning("sync today: replica unavailable, read from the primary", exc_info=True)
    return _today(actor)


def _today(actor: User) -> dict[str, Any]:
    cursor, epoch = sync_state()  # read first: every row read below is at least this new
    today = timezone.localdate()
    days = (today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    visits = scoped(Visit, actor).filter(rep=actor, scheduled_on__range=days)
    accounts = scoped(Account, actor).filter(pk__in=visits.values("account_id"))
    horizon = timezone.now() + dt.timedelta(days=2)
    rows = {
        "visit": visits,
        "account": accounts,
        "contact": scoped(Contact, actor).filter(account__in=accounts),
        "task": scoped(Task, actor).filter(
            assignee=actor, done_at__isnull=True, due_at__lt=horizon
        ),
        "route": scoped(RouteSheet, actor).filter(rep=actor, date__range=days),
    }
    changes: dict[str, list[dict]] = {}
    for name, qs in rows.items():
        entity = ENTITIES[name]
        records = [entity.serialize(obj) for obj in entity.prefetch(qs)]
        if records:
            changes[entity.plural] = records
    return {"epoch": epoch, "cursor": cursor, "changes": changes}


def pull_rows(entity: Entity, actor: User) -> QuerySet:
    """Every row of ``entity`` the caller may see, tombstones included, in the pull's shape:
    the scope rule with its id sets read first (``resolved``), so that with a change-number
    range each OR branch is one range scan of a (scope key, change_seq) index (README,
    "What makes a pull cheap"; tests/fieldcrm/sync/test_pull_indexes.py)."""
    rows = entity.model.all_objects.all()
    if entity.pull is not None:
        return entity.pull(actor, rows)
    return scoped(entity.model, actor, queryset=rows, resolved=True)


def _page(entity: Entity, actor: User, cursor: int, ceiling: int, limit: int) -> tuple[list, bool]:
    """Up to ``limit`` rows in change order, never splitting rows that share a number."""
    base = pull_rows(entity, actor)
    window = base.filter(change_seq__gt=cursor, change_seq__lte=ceiling)
    rows = list(entity.prefetch(window.order_by("change_seq", "pk"))[:limit])
    full = len(rows) == limit
    if full:
        last = rows[-1].change_seq
        seen = {r.pk for r in rows if r.change_seq == last}
        rows += [r for r in entity.prefetch(base.filter(change_seq=last)) if r.pk not in seen]
    return [(r.change_seq, r) for r in rows], full


def _loss_page(cursor: int, ceiling: int, limit: int) -> tuple[list[ScopeLoss], bool]:
    qs = ScopeLoss.objects.filter(change_seq__gt=cursor, change_seq__lte=ceiling)
    losses = list(qs.order_by("change_seq", "pk")[:limit])
    full = len(losses) == limit
    if full:
        last = losses[-1].change_seq
        losses += list(
            ScopeLoss.objects.filter(change_seq=last).exclude(pk__in=[x.pk for x in losses])
        )
    return losses, full


def _removed_accounts(actor: User, losses: list[ScopeLoss]) -> list[str]:
    """Accounts this user could see before a scope change and cannot see now."""
    if actor.is_admin or not losses:
        return []
    if actor.role == User.Role.REP:
        mine = set(Territory.objects.filter(reps=actor).values_list("pk", flat=True))
    else:
        mine = set(
            Territory.objects.filter(region__in=region_ids(actor)).values_list("pk", flat=True)
        )
    candidates: set[str] = set()
    left_territories: set[int] = set()
    for loss in losses:
        if loss.user_id == actor.pk and loss.territory_id is not None:
            left_territories.add(loss.territory_id)
        elif loss.account_id and (loss.owner_id == actor.pk or loss.territory_id in mine):
            candidates.add(str(loss.account_id))
    query = Q(pk__in=candidates) | Q(territory_id__in=left_territories)
    possibly_gone = set(Account.all_objects.filter(query).values_list("pk", flat=True))
    still_visible = set(
        scoped(Account, actor).filter(pk__in=possibly_gone).values_list("pk", flat=True)
    )
    return sorted(str(pk) for pk in possibly_gone - still_visible)
