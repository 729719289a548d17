"""What phones may sync, and how each entity is read, validated and written.

Each entity reuses the API's own schemas (the wire format is the API's) and the apps' own
services (the same rules as every other entry point). Adding an entity is one registry line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from ninja import Schema

from fieldcrm.accounts import services as account_services
from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.accounts.schemas import (
    AccountIn,
    AccountOut,
    AccountPatch,
    ActivityIn,
    ActivityOut,
    ContactIn,
    ContactOut,
    ContactPatch,
)
from fieldcrm.users.models import User

Data = dict[str, Any]


@dataclass(frozen=True)
class Entity:
    name: str
    plural: str
    model: type[Model]
    out: type[Schema]
    create_in: type[Schema]
    patch_in: type[Schema] | None
    create: Callable[[User, Data], Model]
    update: Callable[[User, Model, Data], Model] | None
    delete: Callable[[User, Model], None] | None
    # The account whose history records a conflict on this entity.
    account_of: Callable[[Model], Account | None]
    # Rows pulled along with the entity (avoid N+1 in serialisation).
    prefetch: Callable[[QuerySet], QuerySet] = lambda qs: qs

    def serialize(self, obj: Model) -> Data:
        return self.out.from_orm(obj).model_dump(mode="json")


def _account_update(actor: User, account: Account, data: Data) -> Account:
    return account_services.account_update_by(actor=actor, account_id=account.pk, data=data)


def _account_delete(actor: User, account: Account) -> None:
    account_services.account_delete_by(actor=actor, account_id=account.pk)


def _contact_create(actor: User, data: Data) -> Contact:
    account_id = data.pop("account_id")
    return account_services.contact_create(actor=actor, account_id=account_id, data=data)


def _activity_create(actor: User, data: Data) -> Activity:
    account_id = data.pop("account_id")
    return account_services.activity_create(actor=actor, account_id=account_id, data=data)


class ContactCreate(ContactIn):
    account_id: Any


class ActivityCreate(ActivityIn):
    account_id: Any


ENTITIES: dict[str, Entity] = {}


def register(entity: Entity) -> None:
    ENTITIES[entity.name] = entity


register(
    Entity(
        name="account", plural="accounts", model=Account, out=AccountOut,
        create_in=AccountIn, patch_in=AccountPatch,
        create=lambda actor, data: account_services.account_create_by(actor=actor, data=data),
        update=_account_update, delete=_account_delete,
        account_of=lambda account: account,
        prefetch=lambda qs: qs.prefetch_related("tags"),
    )
)  # fmt: skip
register(
    Entity(
        name="contact", plural="contacts", model=Contact, out=ContactOut,
        create_in=ContactCreate, patch_in=ContactPatch, create=_contact_create,
        update=lambda actor, contact, data: account_services.contact_update(
            actor=actor, contact_id=contact.pk, data=data
        ),
        delete=lambda actor, contact: account_services.contact_delete(
            actor=actor, contact_id=contact.pk
        ),
        account_of=lambda contact: contact.account,
    )
)  # fmt: skip
# History is append-only: activities are created, never edited from a phone.
register(
    Entity(
        name="activity", plural="activities", model=Activity, out=ActivityOut,
        create_in=ActivityCreate, patch_in=None, create=_activity_create,
        update=None, delete=None, account_of=lambda activity: activity.account,
        prefetch=lambda qs: qs.select_related("actor"),
    )
)  # fmt: skip
