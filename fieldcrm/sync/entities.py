"""What phones may sync, and how each entity is read, validated and written.

Each entity reuses the API's own schemas (the wire format is the API's) and the apps' own
services (the same rules as every other entry point). Adding an entity is one registry line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

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
from fieldcrm.core.errors import DomainError
from fieldcrm.core.models import SyncedModel
from fieldcrm.core.schemas import Input, Instant
from fieldcrm.notifications import services as notification_services
from fieldcrm.notifications.models import Notification
from fieldcrm.notifications.schemas import (
    NotificationCreate,
    NotificationOut,
    NotificationSyncPatch,
)
from fieldcrm.orders import selectors as order_selectors
from fieldcrm.orders import services as order_services
from fieldcrm.orders.models import Order, OrderStatus, PriceList, PriceListItem, Product
from fieldcrm.orders.schemas import (
    CatalogCreate,
    OrderIn,
    OrderLineIn,
    OrderOut,
    PriceItemSyncOut,
    PriceListSyncOut,
    ProductOut,
)
from fieldcrm.plans import own_route
from fieldcrm.plans import services as plan_services
from fieldcrm.plans.models import RouteSheet
from fieldcrm.plans.schemas import RouteSheetCreate, RouteSheetOut, RouteSheetPatch
from fieldcrm.tasks import services as task_services
from fieldcrm.tasks.models import Task
from fieldcrm.tasks.schemas import TaskIn, TaskOut, TaskPatch
from fieldcrm.users.models import User
from fieldcrm.visits import services as visit_services
from fieldcrm.visits.models import Visit, VisitOutcome, VisitStatus
from fieldcrm.visits.schemas import NextStepIn, VisitIn, VisitOut, VisitPatch

Data = dict[str, Any]


# One entity's row: the registry holds several models, so callables take them as Any.
Row = Any


@dataclass(frozen=True)
class Entity:
    name: str
    plural: str
    model: type[SyncedModel]
    out: type[Schema]
    create_in: type[Schema]
    patch_in: type[Schema] | None
    create: Callable[[User, Data], Row]
    update: Callable[[User, Row, Data], Row] | None
    delete: Callable[[User, Row], None] | None
    # The account whose history records a conflict on this entity.
    account_of: Callable[[Row], Account | None]
    # Rows pulled along with the entity (avoid N+1 in serialisation).
    prefetch: Callable[[QuerySet], QuerySet] = lambda qs: qs
    # The same for one row already read (a pushed edit, serialised before and after it).
    prefetch_one: Callable[[Row], None] = lambda obj: None
    # Several creates at once, each answered by its row or its error (a run of them in one
    # push is written together); ``create`` otherwise.
    create_many: Callable[[User, list[Data]], Sequence[Row | Exception]] | None = None
    # Fields where an edit from the phone always wins over a different server value (never a
    # conflict): what the rep did in the field is a fact, not an opinion to merge.
    phone_wins: frozenset[str] = frozenset()
    # The rows a phone pulls when they are not simply the rows its user may read (the
    # catalogue: only the price lists serving the user's scope); given every row, tombstones
    # included, it narrows them.
    pull: Callable[[User, QuerySet], QuerySet] | None = None
    # Refuses an edit before any field is merged (DomainError naming the field): a rule on
    # the record as a whole, such as a confirmed order taking no edit.
    check_update: Callable[[User, Row], None] | None = None

    def serialize(self, obj: Row) -> Data:
        return self.out.from_orm(obj).model_dump(mode="json")


def _account_update(actor: User, account: Account, data: Data) -> Account:
    # ``_apply`` read it with get_scoped(write=True) for this actor, in this transaction.
    return account_services.account_update_by(
        actor=actor, account_id=account.pk, data=data, account=account
    )


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
        prefetch_one=lambda account: prefetch_related_objects([account], "tags"),
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


# --- Visits: the heart of the phone's day. A visit logged offline arrives as one create. ---


class VisitCreate(VisitIn):
    status: VisitStatus | None = None
    outcome: VisitOutcome | None = None
    completed_at: Instant | None = None
    next_step: NextStepIn | None = None


class VisitSyncPatch(VisitPatch):
    """A planned stop logged on the phone is an edit of that visit (issue 14): status done,
    with the check-in, outcome, notes, completion time and next step of the log."""

    completed_at: Instant | None = None
    next_step: NextStepIn | None = None


register(
    Entity(
        name="visit", plural="visits", model=Visit, out=VisitOut,
        create_in=VisitCreate, patch_in=VisitSyncPatch,
        create=lambda actor, data: visit_services.visit_create(actor=actor, data=data),
        create_many=lambda actor, items: visit_services.visit_create_many(
            actor=actor, items=items
        ),
        update=lambda actor, visit, data: visit_services.visit_update(
            actor=actor, visit_id=visit.pk, data=data
        ),
        delete=None,  # history: a visit is cancelled, never deleted
        account_of=lambda visit: visit.account,
        prefetch=lambda qs: qs.select_related("account"),
        # A stop logged offline completes its visit even if a re-publish cancelled it since.
        phone_wins=frozenset({"status"}),
    )
)  # fmt: skip


# --- Tasks: the rep's to-dos; completing one is an edit of ``is_done``. ---


class TaskSyncPatch(TaskPatch):
    is_done: bool | None = None


def _task_update(actor: User, task: Task, data: Data) -> Task:
    done = data.pop("is_done", None)
    if data:
        task = task_services.task_update(actor=actor, task_id=task.pk, data=data)
    if done:
        task = task_services.task_complete(actor=actor, task_id=task.pk)
    elif done is False and task.done_at is not None:
        task = task_services.task_update(actor=actor, task_id=task.pk, data={"done_at": None})
    return task


register(
    Entity(
        name="task", plural="tasks", model=Task, out=TaskOut,
        create_in=TaskIn, patch_in=TaskSyncPatch,
        create=lambda actor, data: task_services.task_create(actor=actor, data=data),
        update=_task_update, delete=None,
        account_of=lambda task: task.account,
        prefetch=lambda qs: qs.prefetch_related("attendees"),
        prefetch_one=lambda task: prefetch_related_objects([task], "attendees"),
    )
)  # fmt: skip


# --- Notifications: made on the server, read offline; the phone may only mark them read. ---


def _notification_create(actor: User, data: Data) -> Notification:
    raise DomainError("id", _("Notifications are made by the server."))


def _notification_update(actor: User, notification: Notification, data: Data) -> Notification:
    if data.get("is_read"):
        return notification_services.notification_mark_read(
            actor=actor, notification_id=notification.pk
        )
    if data.get("is_read") is False:
        return notification_services.notification_mark_unread(
            actor=actor, notification_id=notification.pk
        )
    return notification


register(
    Entity(
        name="notification", plural="notifications", model=Notification, out=NotificationOut,
        create_in=NotificationCreate, patch_in=NotificationSyncPatch,
        create=_notification_create, update=_notification_update, delete=None,
        account_of=lambda notification: None,
    )
)  # fmt: skip


# --- The rep's route sheet (issue 19): made by publishing; the phone re-orders the rest of
# today (``order``, ``dropped``) and that moves the plan's stops and visits on the server. ---


def _sheet_create(actor: User, data: Data) -> RouteSheet:
    # Issue 21: the rep's own day, ordered on the phone offline (plans/own_route.py).
    if data.get("date") is None or not data.get("order"):
        raise DomainError("id", _("A route is made by publishing a plan."))
    return own_route.own_day_from_phone(
        actor=actor, sheet_id=data["id"], date=data["date"], order=data["order"],
        dropped=data.get("dropped") or [],
    )  # fmt: skip


def _sheet_update(actor: User, sheet: RouteSheet, data: Data) -> RouteSheet:
    # A field the phone did not change (or lost to a merge) stays as the server has it.
    current = RouteSheetPatch.model_validate({"order": sheet.order, "dropped": sheet.dropped})
    return plan_services.route_sheet_reorder(
        actor=actor, sheet_id=sheet.pk,
        order=data["order"] if data.get("order") is not None else current.model_dump()["order"],
        dropped=data["dropped"] if data.get("dropped") is not None
        else current.model_dump()["dropped"],
    )  # fmt: skip


register(
    Entity(
        name="route", plural="routes", model=RouteSheet, out=RouteSheetOut,
        create_in=RouteSheetCreate, patch_in=RouteSheetPatch,
        create=_sheet_create, update=_sheet_update, delete=None,
        account_of=lambda sheet: None,
    )
)  # fmt: skip


# --- Orders on the phone (issue 18; README, "Orders on the phone"). The phone caches the
# price lists (all of them: a few rows, so which one applies to an account is decided on the
# phone as orders.selectors.price_list_for does), and the items and products of those serving
# its user's scope; it takes orders and quotes offline, each pushed as one create with its
# lines (idempotent by its client id), numbered and totalled by the server. ---


def _catalog_create(actor: User, data: Data) -> Row:
    raise DomainError("id", _("Products and price lists are kept in the workspace."))


def _catalog(name: str, plural: str, model: Any, out: Any, **reads: Any) -> Entity:
    """A catalogue entity: pulled by phones, never written by them."""
    return Entity(
        name=name, plural=plural, model=model, out=out, create_in=CatalogCreate, patch_in=None,
        create=_catalog_create, update=None, delete=None, account_of=lambda row: None, **reads,
    )  # fmt: skip


register(_catalog(
    "product", "products", Product, ProductOut,
    pull=lambda actor, qs: order_selectors.phone_products(actor=actor, queryset=qs),
))  # fmt: skip
register(_catalog(
    "price_list", "price_lists", PriceList, PriceListSyncOut,
    prefetch=order_selectors.phone_price_list_prefetch,
    prefetch_one=lambda obj: prefetch_related_objects([obj], "accounts", "territories"),
))  # fmt: skip
register(_catalog(
    "price_item", "price_items", PriceListItem, PriceItemSyncOut,
    pull=lambda actor, qs: order_selectors.phone_price_items(actor=actor, queryset=qs),
))  # fmt: skip


class OrderSyncPatch(Input):
    """What a phone may change on a draft it took (order_services.order_phone_update)."""

    notes: str | None = Field(default=None, max_length=10_000)
    lines: list[OrderLineIn] | None = Field(default=None, min_length=1, max_length=500)
    status: OrderStatus | None = None


def _order_update(actor: User, order: Order, data: Data) -> Order:
    return order_services.order_phone_update(actor=actor, order_id=order.pk, data=data)


register(
    Entity(
        name="order", plural="orders", model=Order, out=OrderOut,
        create_in=OrderIn, patch_in=OrderSyncPatch,
        create=lambda actor, data: order_services.order_create(actor=actor, data=data),
        update=_order_update, delete=None,  # an order is cancelled, never deleted
        account_of=lambda order: order.account,
        prefetch=order_selectors.phone_order_prefetch,
        prefetch_one=lambda order: prefetch_related_objects([order], "lines"),
        check_update=lambda actor, order: order_services.order_check_phone_edit(
            actor=actor, order=order
        ),
    )
)  # fmt: skip
