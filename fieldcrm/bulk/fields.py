"""The fields a bulk change may set, each with its own rules: what a valid new value is, when an
account must be left out (a refusal) or may change with a warning, how values read to people.

A new field plugs in as one more ``BulkField`` in ``FIELDS``; the services (preview, apply,
undo, history) and the API take it from there. Two fields need more than a column when they
come: **tags** are a many-to-many set (``set`` writes the through table; the value is a list
of names and the operations add / remove), and **territory** is derived from the location by
the territory rule (README), so it is not typed by hand: a bulk "territory" change is a
boundary edit (territories.services), not a field of this list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fieldcrm.access import scoped
from fieldcrm.accounts import rules
from fieldcrm.accounts.models import Account, CustomFieldDefinition, Tag
from fieldcrm.core.errors import DomainError
from fieldcrm.core.models import update_many
from fieldcrm.territories.models import Territory
from fieldcrm.users.models import User
from fieldcrm.users.selectors import user_in_scope
from fieldcrm.visits.models import Visit


@dataclass
class Verdict:
    """What happens to one account: refused (left as it is, with the reason) or changed,
    possibly with warnings."""

    refusal: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Target:
    """The requested new value, checked once for the whole change."""

    value: Any
    user: User | None = None
    territory_ids: set[int] = field(default_factory=set)
    region_ids: set[int] = field(default_factory=set)
    # Warnings found for the selection as a whole, per account id (see prepare_accounts).
    notes: dict[Any, list[str]] = field(default_factory=dict)


class BulkField:
    name: ClassVar[str]
    column: ClassVar[str]  # the Account attribute written (update_many's field)
    # Changing it moves the account out of someone's scope: phones must be told (sync).
    moves_scope: ClassVar[bool] = False

    def label(self) -> str:
        raise NotImplementedError

    def prepare(self, *, actor: User, value: Any) -> Target:
        """The new value checked for ``actor`` (DomainError naming ``value`` if refused)."""
        raise NotImplementedError

    def prepare_accounts(self, *, target: Target, accounts: list[Account]) -> None:
        """Read what ``judge`` needs about the whole selection at once (into ``target``)."""

    def current(self, account: Account, value: Any = None) -> Any:
        """The account's value in the JSON form stored in BulkChange.items (``value``: the
        change's requested value, for fields that need it to know what to read)."""
        return getattr(account, self.column)

    def judge(self, *, target: Target, account: Account) -> Verdict:
        return Verdict()

    def undo_refusal(self, *, actor: User, account: Account, value: Any) -> str | None:
        """Why ``value`` cannot be put back on ``account`` by an undo, or None. It may depend on
        the value only: an undo asks once per distinct value (bulk.services._undo_rows)."""
        return None

    def after(self, *, target: Target, before: Any) -> Any:
        """The account's value once changed (``before`` is ``current``): the new value itself,
        except for fields whose change is relative to what the account has (tags)."""
        return target.value

    def prefetch(self) -> tuple[str, ...]:
        """Relations ``current`` reads, prefetched for the whole selection."""
        return ()

    def assign(self, account: Account, value: Any) -> None:
        setattr(account, self.column, value)

    def write(self, rows: list[tuple[Account, Any, Any]], value: Any = None) -> None:
        """Store each account's new value (rows: account, old, new; ``value``: the change's
        requested value) with the sync bookkeeping (the account's version and change number
        move), in as few statements as it can."""
        for account, _old, new in rows:
            self.assign(account, new)
        update_many([a for a, _old, _new in rows], [self.column])

    def displays(self, values: set[Any]) -> dict[Any, str]:
        """How each value reads to people (one query at most)."""
        return {value: "" if value is None else str(value) for value in values}

    def display_value(self, value: Any) -> str:
        """How the change's requested value reads (the preview's and the summary's)."""
        return self.displays({value})[value]

    def verify(self, *, target: Target, account_ids: list[Any]) -> None:
        """A check of the written rows inside the transaction (raise to roll back)."""


def _choice(value: Any, choices: list[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise DomainError(
            "value",
            _("Expected one of: %(choices)s.") % {"choices": ", ".join(choices)},
        )
    return value


class OwnerField(BulkField):
    """The owner must be an active rep in the caller's scope who can work the account: one of
    their territories (else a warning: they see it as its owner, but it is off their round),
    at least their region (else refused: plans are made per region, so no route would ever
    take them there). After the write, access.py must let them open every account."""

    name = "owner"
    column = "owner_id"
    moves_scope = True

    def label(self) -> str:
        return _("owner")

    def prepare(self, *, actor: User, value: Any) -> Target:
        if value is None:
            return Target(value=None)
        if isinstance(value, bool) or not isinstance(value, int):
            raise DomainError("value", _("Expected the id of a rep, or null for no owner."))
        user = user_in_scope(actor=actor, user_id=value, field="value", rep=True, active=True)
        pairs = Territory.objects.filter(reps=user).values_list("pk", "region_id")
        regions = {region for _pk, region in pairs} | set(user.regions.values_list("pk", flat=True))
        return Target(value=user.pk, user=user, territory_ids={pk for pk, _r in pairs},
                      region_ids=regions)  # fmt: skip

    def prepare_accounts(self, *, target: Target, accounts: list[Account]) -> None:
        """An old owner who will no longer see an account keeps its planned visits on their
        route (a plan's stop they could not open): say so, so the planner re-plans."""
        owned = {a.pk: a for a in accounts if a.owner_id and a.owner_id != target.value}
        visits = Visit.objects.filter(
            account__in=list(owned), status=Visit.Status.PLANNED,
            scheduled_on__gte=timezone.localdate(),
        ).select_related("rep").order_by("scheduled_on")  # fmt: skip
        through = Territory.reps.through.objects.filter(
            territory_id__in={a.territory_id for a in owned.values() if a.territory_id}
        )
        keeps = set(through.values_list("territory_id", "user_id"))
        for visit in visits:
            account = owned[visit.account_id]
            if visit.rep_id != account.owner_id or (account.territory_id, visit.rep_id) in keeps:
                continue
            target.notes.setdefault(account.pk, []).append(
                _("%(rep)s has a planned visit here on %(date)s but will no longer see this "
                  "account: re-plan that day.")
                % {"rep": visit.rep.display_name, "date": date_format(visit.scheduled_on or "")}
            )  # fmt: skip

    def judge(self, *, target: Target, account: Account) -> Verdict:
        verdict = self._judge(target=target, account=account)
        verdict.warnings += target.notes.get(account.pk, [])[:1]
        return verdict

    def _judge(self, *, target: Target, account: Account) -> Verdict:
        territory = account.territory
        if target.user is None:
            if territory is None:
                return Verdict(warnings=[_("Outside every territory and without an owner: "
                                           "no rep will see it.")])  # fmt: skip
            return Verdict()
        rep = target.user.display_name
        if territory is None:
            return Verdict(warnings=[_("Outside every territory: only %(rep)s, its owner, "
                                       "will see it.") % {"rep": rep}])  # fmt: skip
        if territory.pk in target.territory_ids:
            return Verdict()
        names = {"rep": rep, "territory": territory.name, "region": territory.region.name}
        if territory.region_id in target.region_ids:
            return Verdict(warnings=[_("In territory %(territory)s, not one of %(rep)s's: "
                                       "%(rep)s will see it as its owner, off their usual "
                                       "round.") % names])  # fmt: skip
        return Verdict(refusal=_("%(rep)s does not work in region %(region)s (territory "
                                 "%(territory)s).") % names)  # fmt: skip

    def undo_refusal(self, *, actor: User, account: Account, value: Any) -> str | None:
        if value is None:
            return None
        if not scoped(User, actor).filter(pk=value, is_active=True).exists():
            return _("Its previous owner is no longer an active user in your scope.")
        return None

    def displays(self, values: set[Any]) -> dict[Any, str]:
        users = User.objects.filter(pk__in=[v for v in values if v is not None])
        names: dict[Any, str] = {user.pk: user.display_name for user in users}
        return {value: names.get(value, _("nobody")) for value in values}

    def verify(self, *, target: Target, account_ids: list[Any]) -> None:
        if target.user is None:
            return
        visible = scoped(Account, target.user).filter(pk__in=account_ids).count()
        if visible != len(account_ids):  # the access rule changed under us: write nothing
            raise DomainError("value", _("The new owner could not open every account."))


class StatusField(BulkField):
    """The lifecycle applies (accounts.rules): an account that may not go to the new status is
    refused. An undo puts the old status back even where the lifecycle has no such step: it
    corrects a mistake, and both changes stay in the account's history."""

    name = "status"
    column = "status"

    def label(self) -> str:
        return _("status")

    def prepare(self, *, actor: User, value: Any) -> Target:
        return Target(value=_choice(value, Account.Status.values))

    def judge(self, *, target: Target, account: Account) -> Verdict:
        try:
            rules.check_transition(account.status, target.value)
        except ValidationError as exc:
            return Verdict(refusal=exc.messages[0])
        return Verdict()

    def displays(self, values: set[Any]) -> dict[Any, str]:
        labels = dict(Account.Status.choices)
        return {value: str(labels.get(value, value)) for value in values}


class TierField(BulkField):
    name = "tier"
    column = "tier"

    def label(self) -> str:
        return _("tier")

    def prepare(self, *, actor: User, value: Any) -> Target:
        return Target(value=_choice(value, Account.Tier.values))

    def displays(self, values: set[Any]) -> dict[Any, str]:
        labels = dict(Account.Tier.choices)
        return {value: str(labels.get(value, value)) for value in values}


class TagsField(BulkField):
    """Add or remove existing tags (a many-to-many set, no column). The value is
    ``{"op": "add" | "remove", "tags": [names]}``; each account's value is the sorted list of
    its tag names, so an account that already has (add) or lacks (remove) every tag named is
    left unchanged, and an undo puts back the exact set it had. An unknown tag is refused
    naming the value (a bulk change never creates tags: a typo would make a new one)."""

    name = "tags"
    column = "tags"
    OPS = ("add", "remove")
    MAX_TAGS = 20

    def label(self) -> str:
        return _("tags")

    def prepare(self, *, actor: User, value: Any) -> Target:
        if not isinstance(value, dict) or set(value) != {"op", "tags"}:
            raise DomainError("value", _('Expected {"op": "add" or "remove", "tags": [names]}.'))
        op, names = value["op"], value["tags"]
        _choice(op, list(self.OPS))
        if (
            not isinstance(names, list)
            or not names
            or len(names) > self.MAX_TAGS
            or not all(isinstance(n, str) for n in names)
        ):
            raise DomainError("value", _("Expected a list of 1 to %(max)s tag names.")
                              % {"max": self.MAX_TAGS})  # fmt: skip
        wanted = sorted(set(names))
        known = set(Tag.objects.filter(name__in=wanted).values_list("name", flat=True))
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise DomainError("value", _("Unknown tag: %(tags)s.")
                              % {"tags": ", ".join(unknown)[:200]})  # fmt: skip
        return Target(value={"op": op, "tags": wanted})

    def prefetch(self) -> tuple[str, ...]:
        return ("tags",)

    def current(self, account: Account, value: Any = None) -> Any:
        return sorted(tag.name for tag in account.tags.all())

    def after(self, *, target: Target, before: Any) -> Any:
        if target.value["op"] == "add":
            return sorted(set(before) | set(target.value["tags"]))
        return sorted(set(before) - set(target.value["tags"]))

    def undo_refusal(self, *, actor: User, account: Account, value: Any) -> str | None:
        if Tag.objects.filter(name__in=value).count() != len(value):
            return _("A tag it had has been deleted since.")
        return None

    def write(self, rows: list[tuple[Account, Any, Any]], value: Any = None) -> None:
        through = Account.tags.through
        accounts = [a for a, _old, _new in rows]
        names = {name for _a, _old, new in rows for name in new}
        tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        through.objects.filter(account__in=accounts).delete()
        through.objects.bulk_create(
            [through(account_id=a.pk, tag_id=tag_ids[n]) for a, _old, new in rows for n in new]
        )
        # No column of the account changes, but its synced form does (its tags): the version
        # and the change number move so phones pull it.
        update_many(accounts, [])

    def displays(self, values: set[Any]) -> dict[Any, str]:
        # Each account's value arrives as a tuple of names (lists are not hashable).
        return {value: ", ".join(value) or _("no tags") for value in values}

    def display_value(self, value: Any) -> str:
        names = ", ".join(value["tags"])
        if value["op"] == "add":
            return _("add %(tags)s") % {"tags": names}
        return _("remove %(tags)s") % {"tags": names}


class CustomField(BulkField):
    """One custom field (by its definition's key) set to one value on every account, with the
    definition's own checks (CustomFieldDefinition.problem_with; null clears it unless the
    field is required). The value is ``{"key": key, "value": value}``; each account's value
    is what it holds under that key (None when it has none), so an undo puts exactly that
    back, other custom fields untouched."""

    name = "custom"
    column = "custom_fields"

    def label(self) -> str:
        return _("custom field")

    def prepare(self, *, actor: User, value: Any) -> Target:
        if not isinstance(value, dict) or set(value) != {"key", "value"}:
            raise DomainError("value", _('Expected {"key": a custom field, "value": its value}.'))
        key, new = value["key"], value["value"]
        definition = CustomFieldDefinition.objects.filter(key=str(key), is_active=True).first()
        if definition is None:
            raise DomainError("value", _("Unknown custom field %(key)s.") % {"key": str(key)[:64]})
        problem = definition.problem_with(new)
        if problem is None and definition.is_required and new in (None, ""):
            problem = _("%(key)s: this custom field is required.") % {"key": definition.key}
        if problem:
            raise DomainError("value", problem)
        return Target(value={"key": definition.key, "value": new})

    def current(self, account: Account, value: Any = None) -> Any:
        return (account.custom_fields or {}).get(value["key"])

    def write(self, rows: list[tuple[Account, Any, Any]], value: Any = None) -> None:
        key = value["key"]
        for account, _old, new in rows:
            fields = dict(account.custom_fields or {})
            if new is None:
                fields.pop(key, None)
            else:
                fields[key] = new
            account.custom_fields = fields
        update_many([a for a, _old, _new in rows], [self.column])

    def after(self, *, target: Target, before: Any) -> Any:
        return target.value["value"]

    def displays(self, values: set[Any]) -> dict[Any, str]:
        return {v: "—" if v is None else str(v) for v in values}

    def display_value(self, value: Any) -> str:
        new = "—" if value["value"] is None else str(value["value"])
        return f"{value['key']}: {new}"


# The most accounts one bulk change may touch (a selection of a region is cut down first).
MAX_ACCOUNTS = 2_000

FIELDS: dict[str, BulkField] = {
    f.name: f for f in (OwnerField(), StatusField(), TierField(), TagsField(), CustomField())
}
