"""THE access rule, above the domain apps (it knows every model). Every list, detail, export,
report, map and sync pull starts here.

- rep: accounts of their territories plus the ones they own; their own visits, tasks, plans
- manager: everything in their regions, read and write
- planner: reads accounts of their regions; creates and publishes route plans there
- admin: everything
- everyone, admins included: only their own notifications and calendar feed
- automation rules, their runs, webhooks and their delivery log: admins only
- segments (saved views): the author's own, and those shared by someone of their team (people
  working in a region the reader works in: its territories' reps, its members, its manager);
  admins see every shared one; only the author changes or deletes one
- orders and quotes (and their lines): seen and changed where their account is (planners read)
- products and price lists: every role reads them; managers and admins change them. A phone
  caches only the price lists serving its user's scope (``phone_price_lists``), their items and
  products
- document templates: admins only; a PDF is seen where its record is (order, visit)
- attachments: seen and changed where their record is (a visit's as the visit, the others as
  their account)
- e-mails to and from contacts: seen where their account is; received ones matched to no
  record (the review list) by managers and admins; the suppression list (addresses, not
  records of a region: consent holds for the whole installation) by managers and admins
- lead web forms: managers list, create, change and delete those of the regions they manage
  (a form without a region is an admin's); admins all
- integrations (PBX, messengers) and their secrets: admins only; calls and messenger messages
  are seen where their account is, calls from unknown numbers (offered as leads) by managers
  and admins

A row outside the caller's read scope does not exist for them (404, same message as a missing
row). A row they may read but not change answers 403.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import BooleanField, Exists, ExpressionWrapper, Model, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fieldcrm.accounts.models import Account, Activity, Contact, CustomFieldDefinition, Tag
from fieldcrm.attachments.models import Attachment
from fieldcrm.automation.models import Event, Rule, RuleRun, Webhook, WebhookDelivery
from fieldcrm.bulk.models import BulkChange
from fieldcrm.core.replica import read_alias
from fieldcrm.crm.models import ListColumns, Segment
from fieldcrm.deals.models import Deal, LostReason, Pipeline, Stage
from fieldcrm.documents.models import DocumentTemplate
from fieldcrm.emails.models import Email, Suppression
from fieldcrm.integrations.models import Call, Integration, Message
from fieldcrm.leads.models import WebForm
from fieldcrm.notifications.models import CalendarFeed, Notification, PushSubscription
from fieldcrm.orders.models import Order, OrderLine, PriceList, PriceListItem, Product
from fieldcrm.plans.models import PlanJob, RoutePlan, RouteSheet, RouteStop
from fieldcrm.tasks.models import Task
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

M = TypeVar("M", bound=Model)


class NotInScope(Exception):
    """Missing or not yours: the caller cannot tell which."""

    def __init__(self, model: type[Model]) -> None:
        super().__init__(_("%(model)s not found.") % {"model": model._meta.verbose_name})


class NotAllowed(Exception):
    """Visible to the caller, but their role may not change it."""


def region_ids(user: User) -> QuerySet:
    """The regions a manager or planner works in (as members or as the region's manager)."""
    return Region.objects.filter(Q(members=user) | Q(manager=user)).values("pk")


def _rep_territories(user: User) -> QuerySet:
    return Territory.objects.filter(reps=user).values("pk")


def _ids(qs: QuerySet, resolve: bool) -> QuerySet | list:
    """A subquery, or with ``resolve`` its ids read now: a literal list the database can
    match against a composite index (``territory_id = ANY(...)``), which it cannot do with
    a subquery inside an OR (sync pull, issue 22)."""
    return list(qs.values_list("pk", flat=True)) if resolve else qs


def _account_read(user: User, resolve: bool = False) -> Q | None:
    """None means everything."""
    if user.is_admin:
        return None
    if user.role in (User.Role.MANAGER, User.Role.PLANNER):
        territories = Territory.objects.filter(region__in=region_ids(user)).values("pk")
        return Q(territory__in=_ids(territories, resolve)) | Q(owner=user)
    return Q(territory__in=_ids(_rep_territories(user), resolve)) | Q(owner=user)


def _team(regions: QuerySet) -> Q:
    """The people working in ``regions``: their territories' reps, their members, managers."""
    return (
        Q(pk__in=User.objects.filter(territories__region__in=regions).values("pk"))
        | Q(pk__in=User.objects.filter(regions__in=regions).values("pk"))
        | Q(pk__in=Region.objects.filter(pk__in=regions).values("manager"))
    )


def _segments(user: User, *, write: bool) -> Q:
    if write:
        return Q(owner=user)
    if user.is_admin:
        return Q(owner=user) | Q(is_shared=True)
    if user.role in (User.Role.MANAGER, User.Role.PLANNER):
        regions = region_ids(user)
    else:
        regions = Territory.objects.filter(reps=user).values("region")
    team = User.objects.filter(_team(regions)).values("pk")
    return Q(owner=user) | Q(is_shared=True, owner__in=team)


def _rules(user: User, *, write: bool, resolve: bool = False) -> dict[type[Model], Q | None]:
    """Per model: the filter of rows ``user`` may read (or, with ``write``, change). With
    ``resolve`` the small id sets (territories, regions, their reps) are read at once."""
    nothing = Q(pk__in=[])
    accounts = _account_read(user, resolve)
    if write and user.role == User.Role.PLANNER:
        accounts = nothing
    in_accounts = None if accounts is None else Q(account__in=Account.objects.filter(accounts))
    if resolve and accounts is not None:
        # Row by row, a lookup of the row's own account by key: inside an OR (tasks, a
        # manager's visits) an IN subquery would be read whole, the caller's entire scope.
        mine = Account.objects.filter(accounts, pk=OuterRef("account_id"))
        in_accounts = Q(Exists(mine))
    # Personal rows: their owner's alone, whatever the role (an admin included).
    personal: dict[type[Model], Q | None] = {
        Notification: Q(recipient=user),
        CalendarFeed: Q(user=user),
        PushSubscription: Q(user=user),
        # What a person chose to see in the workspace.
        ListColumns: Q(user=user),
        Segment: _segments(user, write=write),
    }
    if user.is_admin:
        return {**dict.fromkeys(MODELS), **personal}
    managed = user.role in (User.Role.MANAGER, User.Role.PLANNER)
    regions = region_ids(user)
    if managed:
        region_reps = _ids(
            User.objects.filter(territories__region__in=regions).values("pk"), resolve
        )
        plans = Q(region__in=regions)
        # A rep's re-plan of their day is theirs to make; the office reads it (issue 19).
        sheets = nothing if write else Q(plan__region__in=regions)
        # A visit or task is seen where its account is (a rep of the region working an
        # account of another region does not bring that account's history along); a task
        # without an account is its assignee's, seen by the managers of the assignee's region.
        tasks = (
            Q(assignee=user)
            | (in_accounts or nothing)
            | Q(account__isnull=True, assignee__in=region_reps)
        )
        visits = in_accounts or nothing
        if write and user.role == User.Role.PLANNER:
            tasks, visits = Q(assignee=user), nothing
        members = User.objects.filter(regions__in=regions).values("pk")
        users = Q(pk=user.pk) | Q(pk__in=region_reps) | Q(pk__in=members)
        territories = Q(region__in=regions)
        region_rows = Q(pk__in=regions)
    else:
        plans = Q(rep=user) & Q(status=RoutePlan.Status.PUBLISHED)
        sheets = Q(rep=user)
        tasks = Q(assignee=user)
        visits = Q(rep=user)
        users = Q(pk=user.pk)
        territories = Q(pk__in=_rep_territories(user))
        region_rows = Q(pk__in=Territory.objects.filter(reps=user).values("region"))
    if write:
        if user.role == User.Role.REP:
            plans, users, territories, region_rows = nothing, Q(pk=user.pk), nothing, nothing
        elif user.role == User.Role.PLANNER:
            users, territories, region_rows = Q(pk=user.pk), nothing, nothing
    # Configuration every role reads and only admins change (admins returned early above).
    config = nothing if write else None
    # The catalogue (products, price lists): every role reads it; managers keep it too.
    catalog = None if not write or user.role == User.Role.MANAGER else nothing
    # Orders and quotes are seen where their account is; planners only read them.
    orders = in_accounts if user.role != User.Role.PLANNER or not write else nothing
    return {
        Pipeline: config,
        Stage: config,
        LostReason: config,
        CustomFieldDefinition: config,
        Tag: None,
        # Lead web forms: managers those of their regions; admins all (returned early above).
        WebForm: Q(region__in=regions) if user.role == User.Role.MANAGER else nothing,
        Account: accounts,
        Contact: in_accounts,
        Activity: in_accounts,
        Deal: in_accounts if user.role != User.Role.PLANNER or not write else nothing,
        Product: catalog,
        PriceList: catalog,
        PriceListItem: catalog,
        Order: orders,
        OrderLine: None if orders is None else Q(order__in=Order.objects.filter(orders)),
        Visit: visits,
        Task: tasks,
        RoutePlan: plans,
        RouteStop: None if plans is None else Q(plan__in=RoutePlan.objects.filter(plans)),
        RouteSheet: sheets,
        # Planning jobs belong to the people who plan: never a rep's business.
        PlanJob: Q(region__in=regions) if managed else nothing,
        Territory: territories,
        Region: region_rows,
        User: users,
        # A bulk change is its author's (their undo); admins see all of them.
        BulkChange: Q(actor=user),
        # Automation (rules, runs, webhooks, their log, the events): admins' alone.
        **dict.fromkeys((Event, Rule, RuleRun, Webhook, WebhookDelivery), nothing),
        # A file is seen and changed where its record is: a visit's as the visit, the others
        # (the account's own, its deals', its orders') as the account.
        Attachment: (Q(visit__isnull=True) & (in_accounts or nothing))
        | Q(visit__in=Visit.objects.filter(visits)),
        # Document templates are edited by admins; everyone's PDFs render through them, read
        # by the record's scope (documents.selectors), never listed.
        DocumentTemplate: nothing,
        # An e-mail where its account is; one matched to no record waits for a manager.
        Email: (Q(account__isnull=False) & (in_accounts or nothing))
        | (Q(account__isnull=True) if user.role == User.Role.MANAGER else nothing),
        Suppression: None if user.role == User.Role.MANAGER else nothing,
        # Integrations hold secrets: admins' alone. A call where its account is; an unknown
        # caller's waits for a manager (like unmatched mail); a message where its account is.
        Integration: nothing,
        Call: (Q(account__isnull=False) & (in_accounts or nothing))
        | (Q(account__isnull=True) if user.role == User.Role.MANAGER else nothing),
        Message: in_accounts,
        **personal,
    }


def phone_price_lists(user: User) -> list | None:
    """The ids of the price lists a phone caches (issue 18): those assigned to an account the
    user reads, or to a territory the user works in or one of their accounts lies in. None: every
    list (an admin). Read at once (a few ids), so the pull's filters are index lookups."""
    if user.is_admin:
        return None
    if not user.is_active:
        return []
    # Once per user object (one pull asks it for the items and for the products).
    cache = user.__dict__.setdefault("_phone_price_lists", {})
    key = read_alias()
    if key not in cache:
        cache[key] = _phone_price_lists(user)
    return cache[key]


def _phone_price_lists(user: User) -> list:
    if user.role in (User.Role.MANAGER, User.Role.PLANNER):
        territories = set(
            Territory.objects.filter(region__in=region_ids(user)).values_list("pk", flat=True)
        )
    else:
        territories = set(Territory.objects.filter(reps=user).values_list("pk", flat=True))
    owned = Account.objects.filter(owner=user, territory__isnull=False)
    territories |= set(owned.values_list("territory_id", flat=True).distinct())
    by_territory = PriceList.territories.through.objects.filter(territory_id__in=territories)
    accounts = Account.objects.filter(_account_read(user, resolve=True) or Q())
    by_account = PriceList.accounts.through.objects.filter(account__in=accounts)
    ids = set(by_territory.values_list("pricelist_id", flat=True))
    ids |= set(by_account.values_list("pricelist_id", flat=True))
    return sorted(ids)


def _cached_rules(user: User, *, write: bool, resolve: bool) -> dict[type[Model], Q | None]:
    """The rules, built once per user object (one request): they hold lazy subqueries, so they
    follow later changes to territories and regions, and each query copies what it uses.
    Resolved rules hold ids read when they were built (one pull reads one snapshot)."""
    # Resolved ids belong to the database they were read from (a replica's snapshot).
    key = (write, resolve and read_alias(), user.pk, user.role, user.is_admin)
    cache = user.__dict__.setdefault("_scope_rules", {})
    if key not in cache:
        cache[key] = _rules(user, write=write, resolve=resolve)
    return cache[key]


MODELS = (
    Account, Contact, Activity, Deal, Visit, Task, RoutePlan, RouteStop, RouteSheet, PlanJob,
    Territory, Region, User,
    Pipeline, Stage, LostReason, CustomFieldDefinition, Tag, WebForm, BulkChange, Notification,
    CalendarFeed, PushSubscription, ListColumns, Segment, Event, Rule, RuleRun, Webhook,
    WebhookDelivery,
    Product, PriceList, PriceListItem, Order, OrderLine, DocumentTemplate, Attachment,
    Email, Suppression, Integration, Call, Message,
)  # fmt: skip


def scoped(
    model: type[M],
    user: User,
    *,
    write: bool = False,
    queryset: QuerySet | None = None,
    resolved: bool = False,
) -> QuerySet:
    """Rows of ``model`` that ``user`` may read (or change, with ``write``). ``resolved``: the
    same rule with its small id sets read first, so each entity's filter is an index lookup
    (the sync pull's shape; README, "Offline sync")."""
    qs = model._default_manager.all() if queryset is None else queryset
    if not user.is_active:
        return qs.none()
    rule = _cached_rules(user, write=write, resolve=resolved)[model]
    # Every rule is written with subqueries, never joins over to-many relations, so no row
    # appears twice and no DISTINCT is needed on large tables.
    return qs if rule is None else qs.filter(rule)


def get_scoped(model: type[M], user: User, pk: Any, *, write: bool = False) -> M:
    """One row the user may read; with ``write``, also change. Else NotInScope / NotAllowed.

    One query either way: the write rule, when it is not the read rule, comes back as a
    column of the row (every pushed edit and logged visit asks this; a second query was a
    round trip each time)."""
    qs = scoped(model, user)
    writable = None
    if write and user.is_active:
        rule = _cached_rules(user, write=True, resolve=False)[model]
        if rule is not None and rule != _cached_rules(user, write=False, resolve=False)[model]:
            writable = ExpressionWrapper(rule, output_field=BooleanField())
            qs = qs.annotate(fieldcrm_writable=writable)
    try:
        obj = qs.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotInScope(model) from None
    if writable is not None and not obj.fieldcrm_writable:
        raise NotAllowed(
            _("Your role may not change this %(model)s.") % {"model": model._meta.verbose_name}
        )
    return obj


def has_role(user: User, *roles: str) -> bool:
    """Whether the user has one of ``roles``; admins always have."""
    return bool(user.is_admin or user.role in roles)


def require_role(user: User, *roles: str) -> None:
    """Refuse (403) unless the user has one of ``roles``; admins always pass."""
    if not has_role(user, *roles):
        raise NotAllowed(_("Your role may not do this."))


# The server pages, by area: the roles that may open them (admins open every area). The views
# refuse everyone else with 403 (require_page) and the navigation of every page lists exactly
# the areas may_open allows (fieldcrm/navigation.py): one rule for both, so a link never leads
# to a refusal and no page a user may open is missing from their menu.
PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "manager": (User.Role.MANAGER,),  # /manager/: the week at a glance, the territory map
    "planner": (User.Role.PLANNER, User.Role.MANAGER),  # /planner/: route plans
    # /crm/: the office workspace, for every role, each within their scope.
    "crm": (User.Role.REP, User.Role.MANAGER, User.Role.PLANNER),
    # /crm/settings/: automation rules, webhooks and document templates, admins only.
    "settings": (),
    # /crm/settings/forms: the lead web forms, managers those of their regions (issue 16).
    "webforms": (User.Role.MANAGER,),
    # /crm/products/, /crm/price-lists/: the catalogue's pages, for the people who keep it.
    "catalog": (User.Role.MANAGER,),
    # /crm/emails/: the suppression list and the received mail matched to no record.
    "mail": (User.Role.MANAGER,),
}
PAGE_REFUSALS = {
    "manager": gettext_lazy("Only managers and admins open the manager pages."),
    "planner": gettext_lazy("Only planners, managers and admins plan routes."),
    "crm": gettext_lazy("Only signed-in people open the workspace."),
    "settings": gettext_lazy("Only admins open the workspace's settings."),
    "webforms": gettext_lazy("Only managers and admins keep the web forms."),
    "catalog": gettext_lazy("Only managers and admins keep the products and price lists."),
    "mail": gettext_lazy("Only managers and admins keep the e-mail suppression list."),
}


def may_open(user: User | AnonymousUser, area: str) -> bool:
    """Whether ``user`` may open the pages of ``area`` (a key of PAGE_ROLES)."""
    roles = PAGE_ROLES[area]
    if not isinstance(user, User) or not user.is_active:
        return False
    return user.is_admin or user.role in roles


def require_page(user: User | AnonymousUser, area: str) -> None:
    """Refuse (NotAllowed, a 403 on a page) unless ``user`` may open the pages of ``area``."""
    if not may_open(user, area):
        raise NotAllowed(str(PAGE_REFUSALS[area]))


def can_create(model: type[Model], user: User) -> bool:
    """Whether the role may create rows of ``model`` at all (scope of the new row checked apart)."""
    if user.is_admin:
        return True
    if user.role == User.Role.PLANNER:
        return model in (RoutePlan, RouteStop, Task)
    if user.role == User.Role.REP:
        return model in (Account, Contact, Activity, Visit, Task, Deal, Order, OrderLine)
    return model not in (Region, User, Pipeline, Stage, LostReason, CustomFieldDefinition)
