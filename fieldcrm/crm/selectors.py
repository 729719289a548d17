"""Reads of the workspace: the accounts table (filters, sort, keyset pages), an account's page
and its timeline. Every one starts from the caller's scope, through the apps' own selectors."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Concat, Trim
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldcrm.access import get_scoped, has_role, scoped
from fieldcrm.accounts.models import (
    Account,
    Activity,
    ActivityKind,
    Contact,
    CustomFieldDefinition,
    DuplicateReason,
    Tag,
)
from fieldcrm.accounts.schemas import AccountFilters
from fieldcrm.accounts.selectors import account_duplicates, account_get, account_list
from fieldcrm.accounts.services import MERGE_ROLES
from fieldcrm.audit.selectors import audit_history
from fieldcrm.core.errors import DomainError
from fieldcrm.crm.models import (
    ACCOUNT_COLUMNS,
    DEFAULT_ACCOUNT_COLUMNS,
    ListColumns,
    Segment,
)
from fieldcrm.deals.forecast import deal_forecast, months_back
from fieldcrm.deals.models import Deal, LostReason, Stage
from fieldcrm.deals.selectors import pipeline_board, pipeline_list
from fieldcrm.orders.selectors import account_orders
from fieldcrm.tasks.models import Task
from fieldcrm.tasks.selectors import today_bounds, user_timezone
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

PAGE_SIZE = 50
TIMELINE_LIMIT = 200
# The lifecycle's order, for sorting by status (the codes' alphabet would mean nothing).
STATUS_ORDER = ("lead", "prospect", "customer", "churned", "disqualified")
SORTS = ("name", "last_visit", "due", "status", "owner")


@dataclass
class AccountTableFilters:
    """What the accounts table may be filtered by (the page's form fills it, validated)."""

    q: str | None = None
    status: list[str] = field(default_factory=list)
    tier: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    tags_all: bool = False  # every tag given, else any of them
    owner: int | None = None
    territory: int | None = None
    region: int | None = None
    due: bool | None = None
    needs_review: bool | None = None  # geocoded to a town only, or not found
    visited_before: dt.date | None = None  # last visit before this day (the user's time zone)
    visited_from: dt.date | None = None  # last visit on or after this day
    deal_stage: int | None = None  # has a deal (one the caller may see) in this open stage
    area: Any = None  # a GEOS Polygon (srid 4326): located inside it (fieldcrm.crm.area)
    # (custom field key, test, value): "contains" (text), "min"/"max" (number),
    # "from"/"to" (date, ISO text), "is" (yes/no), "in" (choices).
    custom: list[tuple[str, str, Any]] = field(default_factory=list)


@dataclass
class TablePage:
    rows: list[Account]
    next_cursor: str | None


def _sort_key(qs: QuerySet[Account], sort: str) -> tuple[QuerySet[Account], str]:
    """The queryset with its sort key as the annotation ``sort_key`` (nulls sort last)."""
    if sort == "status":
        rank = Case(
            *(When(status=s, then=Value(i)) for i, s in enumerate(STATUS_ORDER)),
            default=Value(len(STATUS_ORDER)),
            output_field=IntegerField(),
        )
        return qs.annotate(sort_key=rank), "sort_key"
    if sort == "owner":
        # The owner as people see them (User.display_name): the full name, else the username.
        named = Case(
            When(owner__isnull=True, then=Value(None)),
            When(owner__first_name="", owner__last_name="", then=F("owner__username")),
            default=Trim(Concat("owner__first_name", Value(" "), "owner__last_name")),
            output_field=CharField(),
        )
        return qs.annotate(sort_key=named), "sort_key"
    column = {"name": "name", "last_visit": "last_visited_at", "due": "visit_due_at"}[sort]
    return qs.annotate(sort_key=F(column)), "sort_key"


def _encode(value: Any, pk: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    raw = json.dumps([value, str(pk)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, str] | None:
    """The (sort value, id) a cursor carries; None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if sort in ("last_visit", "due") and value is not None:
            value = dt.datetime.fromisoformat(value)
        if sort == "status" and not isinstance(value, int):
            return None
        if sort in ("name", "owner") and value is not None and not isinstance(value, str):
            return None
        return value, str(pk)
    except (binascii.Error, ValueError, TypeError):
        return None


def _after(qs: QuerySet[Account], key: str, value: Any, pk: str, desc: bool) -> QuerySet[Account]:
    """Rows after (value, pk) in the order (key asc|desc nulls last, id asc): a keyset page,
    whatever the page's depth, without OFFSET or COUNT."""
    if value is None:
        return qs.filter(**{f"{key}__isnull": True, "pk__gt": pk})
    beyond = Q(**{f"{key}__{'lt' if desc else 'gt'}": value})
    return qs.filter(beyond | Q(**{key: value, "pk__gt": pk}) | Q(**{f"{key}__isnull": True}))


def account_table_queryset(*, actor: User, filters: AccountTableFilters) -> QuerySet[Account]:
    """The caller's accounts matching the table's ``filters`` (ordered by name): what the list,
    "all matching" and a segment applied anywhere else select."""
    base = AccountFilters.model_validate({
        "q": filters.q or None, "status": filters.status or None,
        "territory": filters.territory, "owner": filters.owner, "due": filters.due,
        "needs_review": filters.needs_review,
    })  # fmt: skip
    return _extra_filters(account_list(actor=actor, filters=base), actor, filters)


def _extra_filters(
    qs: QuerySet[Account], actor: User, filters: AccountTableFilters
) -> QuerySet[Account]:
    """The table's filters that the API's account list does not have (yet)."""
    if filters.tier:
        qs = qs.filter(tier__in=filters.tier)
    if filters.area is not None:
        # Strictly inside (the same on SpatiaLite and PostGIS); no location, not inside.
        qs = qs.filter(location__isnull=False, location__within=filters.area)
    through = Account.tags.through.objects
    if filters.tags and filters.tags_all:
        for name in filters.tags:
            qs = qs.filter(pk__in=through.filter(tag__name=name).values("account"))
    elif filters.tags:
        qs = qs.filter(pk__in=through.filter(tag__name__in=filters.tags).values("account"))
    if filters.region is not None:
        regions = scoped(Region, actor).filter(pk=filters.region).values("pk")
        qs = qs.filter(territory__region__in=regions)
    if filters.deal_stage is not None:
        deals = scoped(Deal, actor).filter(stage_id=filters.deal_stage)
        qs = qs.filter(pk__in=deals.values("account_id"))
    for n, (key, test, value) in enumerate(filters.custom):
        qs = _custom_filter(qs, n, key, test, value)
    tz = user_timezone(user=actor)
    if filters.visited_before is not None:
        start = dt.datetime.combine(filters.visited_before, dt.time(0), tzinfo=tz)
        qs = qs.filter(last_visited_at__lt=start)
    if filters.visited_from is not None:
        start = dt.datetime.combine(filters.visited_from, dt.time(0), tzinfo=tz)
        qs = qs.filter(last_visited_at__gte=start)
    return qs


def _custom_filter(
    qs: QuerySet[Account], n: int, key: str, test: str, value: Any
) -> QuerySet[Account]:
    """One custom-field test on ``Account.custom_fields[key]``. The key is passed as a value,
    never parsed as a lookup path (a key may hold "__"). The same on both databases: JSON1
    on SQLite, jsonb on PostgreSQL; numbers compare as numbers, dates as ISO text."""
    name = f"cf_{n}"
    if test in ("contains", "from", "to", "in"):
        # Cast to plain text: the JSON key lookups would read the value given as JSON too.
        qs = qs.alias(**{name: Cast(KeyTextTransform(key, "custom_fields"), TextField())})
    else:
        qs = qs.alias(**{name: KeyTransform(key, "custom_fields")})
    lookup = {"contains": "icontains", "min": "gte", "max": "lte", "from": "gte", "to": "lte",
              "is": "exact", "in": "in"}[test]  # fmt: skip
    return qs.filter(**{f"{name}__{lookup}": value})


def account_table(
    *,
    actor: User,
    filters: AccountTableFilters,
    sort: str = "name",
    descending: bool = False,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> TablePage:
    """One page of the caller's accounts matching ``filters`` in the chosen order, and the
    cursor of the next page (None on the last). Keyset paging: a page costs the same at any
    depth and nothing is counted."""
    qs = account_table_queryset(actor=actor, filters=filters)
    qs = qs.select_related("owner", "territory", "territory__region")
    qs, key = _sort_key(qs, sort if sort in SORTS else "name")
    if cursor:
        position = _decode(cursor, sort)
        if position is not None:
            qs = _after(qs, key, position[0], position[1], descending)
    order = F(key).desc(nulls_last=True) if descending else F(key).asc(nulls_last=True)
    rows = list(qs.order_by(order, "pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows and more else None
    return TablePage(
        rows=rows,
        next_cursor=_encode(last.sort_key, last.pk) if last is not None else None,  # type: ignore[attr-defined]  # annotated
    )


def account_table_ids(*, actor: User, filters: AccountTableFilters, limit: int) -> list[Any]:
    """The ids of the caller's accounts matching ``filters`` ("select all matching"), at most
    ``limit`` (ask one more than you accept to know the selection is too large)."""
    qs = account_table_queryset(actor=actor, filters=filters)
    return list(qs.order_by("name", "pk").values_list("pk", flat=True)[:limit])


def segment_list(*, actor: User) -> list[Segment]:
    """The segments the caller may apply: their own and those their team shared."""
    qs = scoped(Segment, actor).filter(list_name="accounts").select_related("owner")
    return list(qs.order_by("name", "pk")[:200])


def segment_get(*, actor: User, segment_id: object) -> Segment:
    """One segment the caller may apply (NotInScope otherwise: another's private one too)."""
    return get_scoped(Segment, actor, segment_id)


def account_columns(*, actor: User) -> list[str]:
    """The columns the caller picked for the accounts table (the defaults until they pick)."""
    chosen = scoped(ListColumns, actor).filter(user=actor, list_name="accounts").first()
    if chosen is None:
        return list(DEFAULT_ACCOUNT_COLUMNS)
    # A deactivated field's column leaves the table; the choice comes back with the field.
    known = set(ACCOUNT_COLUMNS) | set(custom_field_columns(active=True))
    return [c for c in chosen.columns if c in known]


def custom_field_columns(*, active: bool = False) -> dict[str, Any]:
    """``cf:<key>`` -> the custom field, for every field an admin defined (with ``active``:
    only those offered, for pickers; a deactivated field's values are still shown)."""
    fields = CustomFieldDefinition.objects.order_by("key")
    return {f"cf:{d.key}": d for d in (fields.filter(is_active=True) if active else fields)}


def owner_choices(*, actor: User) -> list[User]:
    """The active people in the caller's scope, for an owner filter or an owner to set."""
    return list(scoped(User, actor).filter(is_active=True).order_by("username"))


def region_choices(*, actor: User) -> list[Region]:
    return list(scoped(Region, actor).order_by("name"))


def filter_choices(*, actor: User) -> dict[str, Any]:
    """What the accounts list's filters offer: owners, territories and regions in the
    caller's scope, tags, open deal stages."""
    return {
        "owners": owner_choices(actor=actor),
        "territories": list(scoped(Territory, actor).select_related("region").order_by("name")),
        "regions": region_choices(actor=actor),
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:500]),
        "stages": list(
            scoped(Stage, actor)
            .filter(outcome=Stage.Outcome.OPEN)
            .select_related("pipeline")
            .order_by("pipeline__name", "pipeline_id", "position")
        ),  # fmt: skip
    }


def account_overview(*, actor: User, account_id: object) -> dict[str, Any]:
    """An account's page: the account (NotInScope when not the caller's), its custom fields
    with their definitions, contacts, deals, open and done tasks, planned and past visits,
    and whether the caller may change it."""
    account = account_get(actor=actor, account_id=account_id)
    account = (
        scoped(Account, actor)
        .select_related("owner", "territory", "territory__region")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("name")))
        .get(pk=account.pk)
    )
    fields = custom_field_columns()
    values = account.custom_fields or {}
    custom = [
        {"definition": d, "value": values.get(d.key)} for d in fields.values() if d.key in values
    ]
    visits = scoped(Visit, actor).filter(account=account).select_related("rep")
    tasks = (
        scoped(Task, actor)
        .filter(account=account)
        .select_related("assignee", "contact", "deal")
        .order_by(F("done_at").asc(nulls_first=True), F("due_at").asc(nulls_last=True), "pk")
    )
    return {
        "account": account,
        "custom_fields": custom,
        "contacts": list(scoped(Contact, actor).filter(account=account)),
        "deals": list(
            scoped(Deal, actor)
            .filter(account=account)
            .select_related("stage", "pipeline", "owner")
            .order_by("-updated_at", "-pk")
        ),
        "tasks": list(tasks[:100]),
        "planned_visits": list(
            visits.filter(status=Visit.Status.PLANNED).order_by(
                F("scheduled_on").asc(nulls_last=True), "pk"
            )[:50]
        ),
        "past_visits": list(
            visits.exclude(status=Visit.Status.PLANNED).order_by(
                F("completed_at").desc(nulls_last=True), F("scheduled_on").desc(), "pk"
            )[:50]
        ),
        "orders": account_orders(actor=actor, account=account),
        "may_write": scoped(Account, actor, write=True).filter(pk=account.pk).exists(),
        # Each possible duplicate with its reasons, as the reader says them.
        "duplicates": [
            (other, [DuplicateReason(w).label for w in why])
            for other, why in account_duplicates(
                actor=actor,
                name=account.name,
                email=account.email,
                phone=account.phone,
                # A lead from a web form or a messenger may have no location yet.
                location=(account.location.x, account.location.y) if account.location else None,
                exclude_id=account.pk,
                limit=5,
            )
        ],  # fmt: skip
        "may_merge": has_role(actor, *MERGE_ROLES),
        "history": audit_history(actor=actor, record=account),
    }


def merge_preview(*, actor: User, keep_id: object, other_id: object) -> dict[str, Any]:
    """The merge page: both accounts (NotInScope when either is not the caller's) and how many
    of the other's records in the caller's scope would move."""
    keep = account_get(actor=actor, account_id=keep_id)
    other = account_get(actor=actor, account_id=other_id)
    moving = {
        "contacts": scoped(Contact, actor).filter(account=other).count(),
        "deals": scoped(Deal, actor).filter(account=other).count(),
        "tasks": scoped(Task, actor).filter(account=other).count(),
        "visits": scoped(Visit, actor).filter(account=other).count(),
    }
    return {"keep": keep, "other": other, "moving": moving}


def account_timeline(
    *, actor: User, account_id: object, kinds: list[str] | None = None
) -> list[Activity]:
    """The account's timeline, newest first (the latest TIMELINE_LIMIT entries): every
    interaction and recorded change, with who and, for visits, the check-in distance."""
    account = account_get(actor=actor, account_id=account_id)
    qs = scoped(Activity, actor).filter(account=account)
    if kinds:
        qs = qs.filter(kind__in=[k for k in kinds if k in ActivityKind.values])
    qs = qs.select_related("actor", "visit", "deal", "contact")
    return list(qs.order_by("-occurred_at", "-pk")[:TIMELINE_LIMIT])


def assignable_users(*, actor: User) -> list[User]:
    """Who the caller may give a task to: themselves, and for managers and admins the active
    people of their scope (tasks.services decides; this only fills the form)."""
    if actor.role in (User.Role.REP, User.Role.PLANNER) and not actor.is_admin:
        return [actor]
    return list(scoped(User, actor).filter(is_active=True).order_by("username"))


def _record_timeline(qs: QuerySet[Activity], kinds: list[str] | None) -> list[Activity]:
    if kinds:
        qs = qs.filter(kind__in=[k for k in kinds if k in ActivityKind.values])
    qs = qs.select_related("actor", "visit", "deal", "contact")
    return list(qs.order_by("-occurred_at", "-pk")[:TIMELINE_LIMIT])


def contact_overview(
    *, actor: User, contact_id: object, kinds: list[str] | None = None
) -> dict[str, Any]:
    """A contact's page: the contact and its account (NotInScope when not the caller's), its
    tasks, its own timeline, and whether the caller may change its account."""
    contact = get_scoped(Contact, actor, contact_id)
    contact = scoped(Contact, actor).select_related("account", "account__owner").get(pk=contact.pk)
    tasks = scoped(Task, actor).filter(contact=contact).select_related("assignee")
    return {
        "contact": contact,
        "account": contact.account,
        "tasks": list(tasks.order_by(F("done_at").asc(nulls_first=True), "due_at", "pk")[:100]),
        "timeline": _record_timeline(scoped(Activity, actor).filter(contact=contact), kinds),
        "may_write": scoped(Account, actor, write=True).filter(pk=contact.account_id).exists(),
        "history": audit_history(actor=actor, record=contact),
    }


def deal_overview(
    *, actor: User, deal_id: object, kinds: list[str] | None = None
) -> dict[str, Any]:
    """A deal's page: the deal with its stage, pipeline, owner and account (NotInScope when
    not the caller's), its tasks, its own timeline (its moves included), and whether the
    caller may change it."""
    deal = get_scoped(Deal, actor, deal_id)
    deal = (
        scoped(Deal, actor)
        .select_related("account", "stage", "pipeline", "owner", "lost_reason")
        .get(pk=deal.pk)
    )
    tasks = scoped(Task, actor).filter(deal=deal).select_related("assignee")
    return {
        "deal": deal,
        "account": deal.account,
        "tasks": list(tasks.order_by(F("done_at").asc(nulls_first=True), "due_at", "pk")[:100]),
        "timeline": _record_timeline(scoped(Activity, actor).filter(deal=deal), kinds),
        "may_write": scoped(Deal, actor, write=True).filter(pk=deal.pk).exists(),
        "contacts": list(scoped(Contact, actor).filter(account=deal.account_id)),
        "history": audit_history(actor=actor, record=deal),
        "stages": list(scoped(Stage, actor).filter(pipeline=deal.pipeline_id)
                       .order_by("position", "pk")),
        "lost_reasons": lost_reason_options(actor=actor),
    }  # fmt: skip


def lost_reason_list(*, actor: User) -> list[LostReason]:
    """Every lost reason (retired ones too) with ``deal_count``, the deals carrying it."""
    return list(
        scoped(LostReason, actor).annotate(deal_count=Count("deals")).order_by("position", "pk")
    )


def lost_reason_get(*, actor: User, reason_id: int) -> LostReason:
    return get_scoped(LostReason, actor, reason_id)


def lost_reason_options(*, actor: User) -> list[LostReason]:
    """The lost reasons a deal marked lost may take, in the admin's order."""
    return list(scoped(LostReason, actor).filter(is_active=True).order_by("position", "pk"))


TASK_BUCKET_LIMIT = 200


def task_get(*, actor: User, task_id: object) -> Task:
    """One task the caller may see (NotInScope otherwise)."""
    return get_scoped(Task, actor, task_id)


def task_board(*, actor: User, team: bool, now: dt.datetime | None = None) -> dict[str, Any]:
    """The caller's open tasks (``team``: those of the people in their scope, not their own)
    in buckets: overdue, today (in the caller's time zone), upcoming and undated; each with
    the record it is about."""
    now = now or timezone.now()
    _start, end = today_bounds(user=actor, now=now)
    qs = scoped(Task, actor).filter(done_at__isnull=True)
    qs = qs.exclude(assignee=actor) if team else qs.filter(assignee=actor)
    qs = qs.select_related("assignee", "account", "contact", "deal").order_by("due_at", "pk")

    def bucket(q: Q) -> list[Task]:
        return list(qs.filter(q)[:TASK_BUCKET_LIMIT])

    return {
        "overdue": bucket(Q(due_at__lt=now)),
        # Due later today; what was due earlier today is already overdue.
        "today": bucket(Q(due_at__gte=now, due_at__lt=end)),
        "upcoming": bucket(Q(due_at__gte=end)),
        "undated": bucket(Q(due_at__isnull=True)),
    }


# Cards per column (the totals count every deal); "show more" opens one column up to
# BOARD_CARDS_MORE. Each card is a form: a column of 200 made a 2,000-deal board take seconds.
BOARD_CARDS = 50
BOARD_CARDS_MORE = 500


@dataclass(frozen=True)
class BoardFilters:
    """The deal board's filters: a deal's owner, its account's region, the month it is
    expected to close (any day of it)."""

    owner: int | None = None
    region: int | None = None
    close_month: dt.date | None = None


def board_deals(*, actor: User, filters: BoardFilters) -> QuerySet[Deal]:
    """The caller's deals narrowed by the board's filters."""
    deals = scoped(Deal, actor)
    if filters.owner is not None:
        deals = deals.filter(owner_id=filters.owner)
    if filters.region is not None:
        deals = deals.filter(account__territory__region_id=filters.region)
    if filters.close_month is not None:
        start = filters.close_month.replace(day=1)
        deals = deals.filter(expected_close_on__gte=start,
                             expected_close_on__lt=months_back(start, -1))  # fmt: skip
    return deals


def board_filters_checked(
    *, actor: User, owner: int | None, region: int | None, close_month: dt.date | None
) -> BoardFilters:
    """The board's filters from the API: an owner or a region outside the caller's scope (the
    page's choices: owner_choices, region_choices) is refused naming its field, the same as a
    missing one, never widened to "anyone"."""
    if owner is not None and not any(u.pk == owner for u in owner_choices(actor=actor)):
        raise DomainError("query.owner_id", _("No such owner in your scope."))
    if region is not None and not any(r.pk == region for r in region_choices(actor=actor)):
        raise DomainError("query.region_id", _("No such region in your scope."))
    return BoardFilters(owner=owner, region=region, close_month=close_month)


def board_summary(*, actor: User, pipeline_id: int, filters: BoardFilters) -> dict[str, Any]:
    """The board's totals per stage and its forecast without the cards (the API's board): the
    same deals as deal_board's for the same filters."""
    deals = board_deals(actor=actor, filters=filters)
    board = pipeline_board(actor=actor, pipeline_id=pipeline_id, deals=deals)
    return {**board, "forecast": deal_forecast(deals.filter(pipeline_id=pipeline_id))}


def deal_board(
    *,
    actor: User,
    pipeline_id: int | None,
    filters: BoardFilters | None = None,
    pipelines: list[Any] | None = None,
    expand: int | None = None,
) -> dict[str, Any]:
    """A pipeline as a board: per stage, the caller's deals (the most recently changed first,
    BOARD_CARDS at most, BOARD_CARDS_MORE in the ``expand`` stage) and their count and
    totals per currency (never added across currencies: deals.selectors.pipeline_board),
    and the forecast by close month; all
    narrowed by ``filters``. The default pipeline unless one is chosen. ``pipelines``: the
    caller's, when already read."""
    if pipelines is None:
        pipelines = list(pipeline_list(actor=actor))
    chosen = [p for p in pipelines if p.pk == pipeline_id] or sorted(
        pipelines, key=lambda p: (not p.is_default, p.name, p.pk)
    )
    if not chosen:
        return {"pipelines": [], "pipeline": None, "columns": [], "forecast": None}
    pipeline = chosen[0]
    deals = board_deals(actor=actor, filters=filters or BoardFilters())
    board = pipeline_board(actor=actor, pipeline_id=pipeline.pk, deals=deals)
    totals = {s["id"]: s for s in board["stages"]}
    shown = deals.select_related("account", "owner", "stage")
    columns = []
    for stage in pipeline.stages.all():
        limit = BOARD_CARDS_MORE if stage.pk == expand else BOARD_CARDS
        cards = list(shown.filter(stage=stage).order_by("-updated_at", "-pk")[:limit])
        for card in cards:
            card.based_on = card.updated_at.isoformat()  # type: ignore[attr-defined]  # a move's base
        columns.append({"stage": stage, "cards": cards, "expanded": stage.pk == expand,
                        **totals[stage.pk]})  # fmt: skip
    return {
        "pipelines": pipelines,
        "pipeline": pipeline,
        "columns": columns,
        "totals": board["totals"],
        "forecast": deal_forecast(deals.filter(pipeline=pipeline)),
    }
