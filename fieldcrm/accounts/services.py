"""Writes to accounts. Admin, API, import and commands all come through here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import ForeignKey
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import NotAllowed, can_create, get_scoped, require_role, scoped
from fieldcrm.accounts.models import (
    LOGGABLE_KINDS,
    Account,
    AccountMergeField,
    Activity,
    Contact,
    Tag,
)
from fieldcrm.audit.tracking import audit_write
from fieldcrm.automation.models import EventType
from fieldcrm.automation.outbox import event_record
from fieldcrm.core.errors import DomainError
from fieldcrm.core.models import SyncedModel, next_change_seq, one_change_number, write_transaction
from fieldcrm.deals.models import Deal
from fieldcrm.notifications.models import Notification
from fieldcrm.territories.models import Territory
from fieldcrm.users.models import User
from fieldcrm.users.selectors import owner_in_scope, user_in_scope


def territory_for_point(
    point: Point | None, *, current: Territory | None = None, prefer: Territory | None = None
) -> Territory | None:
    """The territory containing ``point``.

    Where territories touch or overlap, a point lies in several. Then the territory whose
    boundary was just edited (``prefer``) wins, as the latest intent; otherwise the account
    stays where it is (no flapping), else it goes to the oldest territory, so the answer is
    deterministic on both databases.
    """
    if point is None:
        return None
    candidates = list(
        Territory.objects.filter(boundary__intersects=point).order_by("pk").only("pk")
    )
    for choice in (prefer, current):
        if choice is not None and any(t.pk == choice.pk for t in candidates):
            return choice
    return candidates[0] if candidates else None


def account_reassign_territory(
    *, account: Account, prefer: Territory | None = None, actor: User | None = None
) -> Account:
    """Recompute the territory from the location; saves only when it changed. With ``actor``
    (a person re-cutting territories: the balanced territories' apply) the move is audited
    as theirs."""
    territory = territory_for_point(account.location, current=account.territory, prefer=prefer)
    if territory != account.territory:
        account.territory = territory
        account.save(update_fields=["territory"])
        if actor is not None:
            audit_write(actor=actor, obj=account)
    return account


def _placed_as_loaded(account: Account) -> bool:
    """Neither the location nor the territory changed since the account was read, and it has
    a territory: it still holds the point (a territory's new boundary re-assigns the accounts
    around it, territories/services.py), so the spatial lookup is not made again on every
    edit of a phone number or every logged visit."""
    scope = account._loaded_scope
    return (
        scope is not None
        and account.territory_id is not None
        and scope[0] == account.territory_id
        and account._loaded_location == account.location
    )


@write_transaction
def account_save(
    *, account: Account, tags: Iterable[str] | None = None, actor: User | None = None
) -> Account:
    """Validate and save an account, keeping its territory in step with its location.

    Every write of an account comes through here (admin, API, phone, import, web forms), so a
    change of status or owner is written into the account's timeline here, by ``actor``
    (None: the system, e.g. a web form)."""
    adding = account._state.adding
    # As core.validate: a relation given as a loaded object was just read, and a new row's id
    # is checked by the caller (account_create_by): no query to find either again.
    cached = [f.name for f in Account._meta.concrete_fields
              if isinstance(f, ForeignKey) and f.is_cached(account)]  # fmt: skip
    account.full_clean(exclude=["territory", *cached, *(["id"] if adding else [])])
    if not _placed_as_loaded(account):
        current = account.territory if account.territory_id is not None else None
        account.territory = territory_for_point(account.location, current=current)
    status_before = account._loaded_status
    loaded_scope = account._loaded_scope
    owner_before = loaded_scope[1] if loaded_scope is not None else None
    account.save()
    audit_write(actor=actor, obj=account, created=adding)
    changed = []
    if not adding:
        changes = account_change_activities(
            actor=actor, account=account, status_before=status_before, owner_before=owner_before
        )
        Activity.objects.bulk_create(changes)
        changed = [name for name, before, now in (
            ("status", status_before, account.status), ("owner_id", owner_before, account.owner_id),
        ) if before != now]  # fmt: skip
    if tags is not None:
        account_set_tags(account=account, tags=tags)
    # The outbox (automation rules, webhooks): a new account, or a status or owner change.
    if adding or changed:
        kind = EventType.ACCOUNT_CREATED if adding else EventType.ACCOUNT_CHANGED
        data = {**account_event_data(account), "changed": changed}
        event_record(kind=kind, record_type="account", record_id=account.pk, data=data, actor=actor)
    return account


def account_event_data(account: Account) -> dict[str, Any]:
    """The account's plain values for automation rules and webhooks."""
    return {
        "id": account.pk, "name": account.name, "status": account.status,
        "tier": account.tier, "owner_id": account.owner_id,
        "territory_id": account.territory_id, "source": account.source,
        "email": account.email, "phone": account.phone,
    }  # fmt: skip


def _person(user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).only("username", "first_name", "last_name").first()
    return {"id": user_id, "name": user.display_name if user else str(user_id)}


def account_change_activities(
    *,
    actor: User | None,
    account: Account,
    status_before: str | None,
    owner_before: int | None,
) -> list[Activity]:
    """The timeline entries (unsaved) for an account whose status or owner just changed from
    these values: one per change, with the old and new values as data. Writers that bypass
    ``account_save`` (bulk changes) record their changes with this too."""
    now = timezone.now()
    entries = []
    if status_before is not None and status_before != account.status:
        entries.append(Activity(
            account=account, kind=Activity.Kind.STATUS_CHANGE, actor=actor, occurred_at=now,
            subject=_("Status: %(old)s → %(new)s") % {
                "old": Account.Status(status_before).label, "new": account.get_status_display()},
            details={"old": status_before, "new": account.status},
        ))  # fmt: skip
    if owner_before != account.owner_id:
        old, new = _person(owner_before), _person(account.owner_id)
        nobody = _("nobody")
        entries.append(Activity(
            account=account, kind=Activity.Kind.OWNER_CHANGE, actor=actor, occurred_at=now,
            subject=_("Owner: %(old)s → %(new)s") % {
                "old": old["name"] if old else nobody, "new": new["name"] if new else nobody},
            details={"old": old, "new": new},
        ))  # fmt: skip
    return entries


def account_create(
    *, fields: dict[str, Any], tags: Iterable[str] | None = None, actor: User | None = None
) -> Account:
    """Create an account from plain field values."""
    return account_save(account=Account(**fields), tags=tags, actor=actor)


def account_update(
    *,
    account: Account,
    fields: dict[str, Any],
    tags: Iterable[str] | None = None,
    actor: User | None = None,
) -> Account:
    """Apply a partial update; nothing is saved if any field is refused."""
    if "location" in fields and "geocode_quality" not in fields:
        # A location given by a person, a phone or a file is no longer a geocoder's guess.
        fields = {**fields, "geocode_quality": ""}
    for name, value in fields.items():
        setattr(account, name, value)
    return account_save(account=account, tags=tags, actor=actor)


def account_set_tags(*, account: Account, tags: Iterable[str]) -> None:
    names = sorted({t.strip() for t in tags if t and t.strip()})
    account.tags.set([Tag.objects.get_or_create(name=name)[0] for name in names])


@write_transaction
def account_delete(*, account: Account, actor: User | None = None) -> None:
    """Soft delete: the row stays as a tombstone so phones learn of the deletion."""
    account.soft_delete()
    audit_write(actor=actor, obj=account)


# --- Writes on behalf of a user (API, phone): scope and role checked here, once. ---


def _account_fields(actor: User, data: dict[str, Any]) -> tuple[dict[str, Any], list[str] | None]:
    fields = {k: v for k, v in data.items() if k not in {"tags", "location", "owner_id", "version"}}
    for text_field in ("address", "phone", "email", "website", "source"):
        if text_field in fields and fields[text_field] is None:
            fields[text_field] = ""
    if "opening_hours" in fields and fields["opening_hours"] is None:
        fields["opening_hours"] = {}
    if "custom_fields" in fields and fields["custom_fields"] is None:
        fields["custom_fields"] = {}
    if "location" in data:
        loc = data["location"]
        fields["location"] = None if loc is None else Point(loc["lng"], loc["lat"], srid=4326)
    if "owner_id" in data:
        fields["owner"] = owner_in_scope(actor=actor, owner_id=data["owner_id"])
    return fields, data.get("tags")


def account_create_by(*, actor: User, data: dict[str, Any]) -> Account:
    """Create an account for ``actor``; a rep's new account is theirs, so they keep seeing it."""
    if not can_create(Account, actor):
        raise NotAllowed(_("Your role may not create accounts."))
    fields, tags = _account_fields(actor, data)
    if fields.get("id") is not None and Account.all_objects.filter(pk=fields["id"]).exists():
        raise DomainError("id", _("An account with this id already exists."))
    if fields.get("id") is None:
        fields.pop("id", None)
    if actor.role == User.Role.REP:
        fields.setdefault("owner", actor)
    if isinstance(fields.get("custom_fields"), dict):
        fields["custom_fields"] = {
            k: v for k, v in fields["custom_fields"].items() if v is not None
        }
    return account_create(fields=fields, tags=tags, actor=actor)


def account_update_by(
    *, actor: User, account_id: object, data: dict[str, Any], account: Account | None = None
) -> Account:
    """Partial update; refused as a conflict when based on a stale ``version``.

    ``account``: the row, when the caller has just read it with ``get_scoped(..., write=True)``
    for ``actor`` (the sync push): not read a second time."""
    if account is None or account.pk != account_id:
        account = get_scoped(Account, actor, account_id, write=True)
    based_on = data.get("version")
    if based_on is not None and based_on != account.version:
        raise VersionConflict(account)
    fields, tags = _account_fields(actor, data)
    if data.get("custom_fields") is not None:
        # PATCH merges keys: the keys sent replace theirs, a key sent as null clears it, the
        # rest stay (a phone or form that knows two fields must not wipe the other four).
        merged = {**(account.custom_fields or {}), **data["custom_fields"]}
        fields["custom_fields"] = {k: v for k, v in merged.items() if v is not None}
    return account_update(account=account, fields=fields, tags=tags, actor=actor)


def account_delete_by(*, actor: User, account_id: object) -> None:
    account = get_scoped(Account, actor, account_id, write=True)
    if actor.role == User.Role.REP:
        raise NotAllowed(_("Only managers and admins delete accounts."))
    account_delete(account=account, actor=actor)


@write_transaction
def contact_create(*, actor: User, account_id: object, data: dict[str, Any]) -> Contact:
    account = get_scoped(Account, actor, account_id, write=True)
    if data.get("id") is None:
        data.pop("id", None)
    elif Contact.all_objects.filter(pk=data["id"]).exists():  # a tombstone's id included
        raise DomainError("id", _("A contact with this id already exists."))
    contact = Contact(account=account, **{**data, "email": data.get("email") or ""})
    contact.full_clean()
    contact.save()
    audit_write(actor=actor, obj=contact, created=True)
    return contact


@write_transaction
def contact_update(*, actor: User, contact_id: object, data: dict[str, Any]) -> Contact:
    contact = get_scoped(Contact, actor, contact_id, write=True)
    for name, value in data.items():
        setattr(contact, name, "" if value is None and name != "is_primary" else value)
    contact.full_clean()
    contact.save()
    audit_write(actor=actor, obj=contact)
    return contact


@write_transaction
def contact_delete(*, actor: User, contact_id: object) -> None:
    contact = get_scoped(Contact, actor, contact_id, write=True)
    contact.soft_delete()
    audit_write(actor=actor, obj=contact)


@write_transaction
def activity_create(*, actor: User, account_id: object, data: dict[str, Any]) -> Activity:
    """Log an interaction; history is append-only. Only the kinds a person logs: the others
    (status and owner changes, deal moves, system notes) are recorded by the services."""
    account = get_scoped(Account, actor, account_id, write=True)
    if data.get("kind") not in LOGGABLE_KINDS:
        raise DomainError("kind", _("This kind of entry is recorded by the system."))
    contact = None
    if data.get("contact_id") is not None:
        contact = Contact.objects.filter(account=account, pk=data["contact_id"]).first()
        if contact is None:
            raise DomainError("contact_id", _("No such contact at this account."))
    deal = None
    if data.get("deal_id") is not None:
        deal = Deal.objects.filter(account=account, pk=data["deal_id"]).first()
        if deal is None:
            raise DomainError("deal_id", _("No such deal at this account."))
    activity = Activity(
        account=account,
        actor=actor,
        kind=data["kind"],
        occurred_at=data.get("occurred_at") or timezone.now(),
        subject=data.get("subject", ""),
        body=data.get("body", ""),
        contact=contact,
        deal=deal,
    )
    if data.get("id") is not None:
        if Activity.all_objects.filter(pk=data["id"]).exists():
            raise DomainError("id", _("An activity with this id already exists."))
        activity.id = data["id"]
    activity.full_clean()
    activity.save()
    return activity


class VersionConflict(Exception):
    """The edit was based on an older version than the server's."""

    def __init__(self, current: Account) -> None:
        super().__init__(_("The account changed since you loaded it."))
        self.current = current


# --- A leaving rep's accounts (a selection of accounts goes through fieldcrm.bulk). ---

MAX_REASSIGN = 2_000


@transaction.atomic
def accounts_set_owner(*, actor: User, account_ids: list[Any], owner: User | None) -> int:
    """Give these accounts to ``owner``; all or nothing, each through ``account_update``
    (full_clean, territory, version and sync bookkeeping), the write scope checked once."""
    writable = list(
        scoped(Account, actor, write=True)
        .filter(pk__in=account_ids)
        .select_for_update(of=("self",))
    )
    if len(writable) != len(set(account_ids)):
        raise NotAllowed(_("Your role may not change some of these accounts."))
    for account in writable:
        account_update(account=account, fields={"owner": owner}, actor=actor)
    return len(writable)


@transaction.atomic
def accounts_reassign_owner(*, actor: User, from_user_id: int, to_user_id: int | None) -> int:
    """Every account in the caller's scope owned by one user goes to another (a rep who
    leaves or changes round); managers and admins. Returns how many moved."""
    require_role(actor, User.Role.MANAGER)
    source = get_scoped(User, actor, from_user_id)
    owner = None
    if to_user_id is not None:
        owner = user_in_scope(actor=actor, user_id=to_user_id, field="to_user_id", active=True)
        if owner.pk == source.pk:
            raise DomainError("to_user_id", _("Choose someone else than the current owner."))
    mine = scoped(Account, actor, write=True).filter(owner=source).order_by("pk")
    ids = list(mine.values_list("pk", flat=True)[: MAX_REASSIGN + 1])
    if len(ids) > MAX_REASSIGN:
        raise DomainError(
            "to_user_id",
            _("At most %(max)s accounts can be reassigned at once: use the map's selection.")
            % {"max": f"{MAX_REASSIGN:,}"},
        )
    return accounts_set_owner(actor=actor, account_ids=ids, owner=owner)


# --- Merging duplicates. ---

MERGE_FIELDS = tuple(AccountMergeField.values)
MERGE_ROLES = (User.Role.MANAGER,)  # and admins: the merged-away account may be a colleague's


@transaction.atomic
def account_merge(
    *, actor: User, keep_id: object, merge_id: object, take: Iterable[str] = ()
) -> Account:
    """Merge account ``merge_id`` into ``keep_id`` and return the kept one. ``take`` names the
    fields (of MERGE_FIELDS) whose value comes from the merged-away account.

    Managers and admins merge, within their scope. Every row that pointed at the merged-away
    account points at the kept one, each with a new version so phones pull it again; the
    merged-away account becomes a tombstone, which phones drop on their next sync. All of it
    is one transaction sharing one change number: a phone sees the merge whole or not at all."""
    require_role(actor, *MERGE_ROLES)
    keep = get_scoped(Account, actor, keep_id, write=True)
    gone = get_scoped(Account, actor, merge_id, write=True)
    if keep.pk == gone.pk:
        raise DomainError("merge_id", _("An account cannot be merged into itself."))
    take = set(take)
    if unknown := take - set(MERGE_FIELDS):
        raise DomainError("take", _("Unknown field: %(name)s.") % {"name": sorted(unknown)[0]})
    with one_change_number():
        for name in sorted(take):
            setattr(keep, name, getattr(gone, name))
        keep.custom_fields = {**(gone.custom_fields or {}), **(keep.custom_fields or {})}
        if gone.last_visited_at and (
            keep.last_visited_at is None or gone.last_visited_at > keep.last_visited_at
        ):
            keep.last_visited_at = gone.last_visited_at
        tags = {
            *keep.tags.values_list("name", flat=True),
            *gone.tags.values_list("name", flat=True),
        }
        moved = _repoint_account_rows(gone, keep)
        account_save(account=keep, tags=sorted(tags), actor=actor)
        Activity.objects.create(
            account=keep, kind=Activity.Kind.SYSTEM, actor=actor, occurred_at=timezone.now(),
            subject=_("Merged “%(name)s” into this account") % {"name": gone.name},
            details={"merged": {"id": str(gone.pk), "name": gone.name}, "took": sorted(take),
                     "moved": moved},
        )  # fmt: skip
        gone.soft_delete()
        audit_write(actor=actor, obj=gone)
    return keep


def _repoint_account_rows(gone: Account, keep: Account) -> dict[str, int]:
    """Point every row referring to ``gone`` at ``keep``, found from the model's relations (so a
    model added later is moved too). Synced rows are saved one by one: each gets a new version
    and change number, so phones pull them under their new account."""
    moved: dict[str, int] = {}
    relations: list[Any] = list(Account._meta.get_fields(include_hidden=True))
    for rel in relations:  # every reverse relation, hidden ones (related_name="+") too
        if not (rel.one_to_many and rel.auto_created and not rel.concrete):
            continue
        model, field = rel.related_model, rel.field.name
        if model._meta.auto_created:  # the tags' through table: tags are joined above
            continue
        rows = model._base_manager.filter(**{field: gone})
        if issubclass(model, SyncedModel):
            count = 0
            for row in rows.iterator(chunk_size=500):
                setattr(row, field, keep)
                row.save(update_fields=[field])
                count += 1
        else:
            count = rows.update(**{field: keep})
        if count:
            moved[model._meta.label_lower] = count
    notes = Notification.all_objects.filter(record_type="account", record_id=gone.pk)
    if count := notes.update(record_id=keep.pk, change_seq=next_change_seq()):
        moved["notifications.notification"] = count
    return moved
