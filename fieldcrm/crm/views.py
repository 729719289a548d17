"""The workspace's pages under /crm/: HTTP only (parse with a form, call one selector or
service, render). Every role opens them, each within their scope: a record outside it
answers the same styled 404 as a missing one. Quick actions are plain POST forms (CSRF) that
redirect back; a refused one shows the page again with the message at the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fieldcrm.access import NotAllowed
from fieldcrm.accounts.models import Account, ActivityKind
from fieldcrm.accounts.services import activity_create
from fieldcrm.attachments.selectors import attachment_block, visit_photos
from fieldcrm.bulk.selectors import bulk_change_last, bulk_change_summary
from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.core.tiles import OWN_MAX_DATA_ZOOM, map_tiles
from fieldcrm.crm import selectors, services
from fieldcrm.crm.forms import (
    AccountFilterForm,
    BulkForm,
    ColumnsForm,
    DealMoveForm,
    LogForm,
    ReassignForm,
    SegmentForm,
    SnoozeForm,
    TaskForm,
    column_labels,
)
from fieldcrm.crm.models import is_segment_param
from fieldcrm.crm.segments import segment_params
from fieldcrm.emails.models import EmailDirection, EmailStatus
from fieldcrm.emails.selectors import email_recipients
from fieldcrm.integrations.models import CallDirection
from fieldcrm.integrations.replies import reply_block
from fieldcrm.tasks.services import task_complete, task_create, task_snooze, task_update
from fieldcrm.users.auth import PageRequest, page_view

# The workspace's roles (access.PAGE_ROLES["crm"]), times in the reader's zone.
crm_page = page_view("crm", local_time=True)


def custom_value(definition: Any, value: Any) -> dict[str, Any]:
    """A custom field's value, shown by its type: a date as a date, yes/no, a number."""
    if value is None or value == "":
        return {"text": ""}
    if definition.kind == "boolean":
        return {"text": _("Yes") if value else _("No")}
    if definition.kind == "date":
        try:
            return {"date": dt.date.fromisoformat(str(value))}
        except ValueError:
            return {"text": str(value)}
    return {"text": str(value), "num": definition.kind == "number"}


def _cell(account: Any, column: str, custom: dict[str, Any]) -> dict[str, Any]:
    """What one column of the accounts table shows for ``account`` (escaped by the template)."""
    territory = account.territory
    if column.startswith("cf:"):
        definition = custom.get(column)
        value = (account.custom_fields or {}).get(column[3:])
        return {"text": ""} if definition is None else custom_value(definition, value)
    simple: dict[str, Callable[[], Any]] = {
        "status": account.get_status_display, "tier": account.get_tier_display,
        "owner": lambda: account.owner.display_name if account.owner else "",
        "territory": lambda: territory.name if territory else "",
        "region": lambda: territory.region.name if territory else "",
        "phone": lambda: account.phone, "email": lambda: account.email,
        "address": lambda: account.address,
    }  # fmt: skip
    if column in simple:
        return {"text": simple[column]()}
    if column == "priority":
        return {"text": str(account.priority), "num": True}
    if column == "tags":
        return {"tags": sorted(t.name for t in account.tags.all())}
    return {"datetime": account.last_visited_at if column == "last_visit" else account.visit_due_at}


@require_GET
@crm_page
def accounts(request: PageRequest) -> HttpResponse:
    params, segment = segment_params(request.user, request.GET)
    form = AccountFilterForm(params, actor=request.user)
    form.is_valid()
    data = form.cleaned_data
    sort, descending = data.get("sort") or "name", data.get("order") == "desc"
    page = selectors.account_table(
        actor=request.user, filters=form.filters(), sort=sort, descending=descending,
        cursor=data.get("after") or None,
    )  # fmt: skip
    if segment is not None and form.errors:
        # A segment's filter the viewer cannot use (an owner outside their scope, say) is
        # named and matches nothing: leaving it out would show more than the segment means.
        page = selectors.TablePage(rows=[], next_cursor=None)
    columns = selectors.account_columns(actor=request.user)
    labels = column_labels()
    custom = selectors.custom_field_columns()
    query = request.GET.copy()
    query.pop("after", None)
    next_url = None
    if page.next_cursor:
        next_url = "?" + urlencode([*query.lists(), ("after", [page.next_cursor])], doseq=True)
    filtered = any(v for k, v in params.lists() if k not in ("sort", "order", "after"))
    filter_query = urlencode([(k, v) for k, v in params.lists() if is_segment_param(k)],
                             doseq=True)  # fmt: skip
    return render(request, "crm/accounts.html", {
        "segment": segment, "segments": selectors.segment_list(actor=request.user),
        "segment_form": SegmentForm(initial={"query": filter_query}),
        "bulk_form": BulkForm(actor=request.user, initial={"filters": request.GET.urlencode()}),
        "last_bulk": last_bulk_change(request.user),
        "form": form, "columns": [(c, labels[c]) for c in columns],
        "rows": [(a, [_cell(a, c, custom) for c in columns]) for a in page.rows],
        "columns_form": ColumnsForm(initial={"columns": columns}),
        "next_url": next_url, "first_url": "?" + query.urlencode() if data.get("after") else None,
        "filtered": filtered, "area_map": area_map_config(form, page.rows),
        "area_open": bool(params.get("area")),
        "back": request.get_full_path(),
    })  # fmt: skip


def area_map_config(form: AccountFilterForm, rows: list[Any]) -> dict[str, Any]:
    """What the list's "Draw an area" map needs (area-map.js): our tiles, the current area's
    corners (lng, lat) and the page's accounts to frame when there is none, its strings."""
    tiles = map_tiles()
    area = (getattr(form, "cleaned_data", None) or {}).get("area")
    return {
        "tileUrl": tiles.url, "tileAttribution": tiles.attribution, "tileVector": tiles.vector,
        "tileMaxDataZoom": OWN_MAX_DATA_ZOOM,
        "area": [list(c) for c in area.exterior_ring.coords] if area is not None else None,
        "points": [[a.location.x, a.location.y] for a in rows if a.location is not None],
        "strings": {
            "rectangle": _("Draw a rectangle"), "polygon": _("Draw a polygon"),
            "cancel": _("Cancel"), "finish": _("Finish"), "undo": _("Delete last point"),
            "start": _("Click and drag to draw a rectangle."),
            "polygonStart": _("Click to start drawing the area."),
            "polygonNext": _("Click to continue drawing the area."),
            "polygonEnd": _("Click the first point to close the area."),
            "crossing": _("The area's edges cannot cross."),
        },
    }  # fmt: skip


def last_bulk_change(user: Any) -> dict[str, Any] | None:
    """The caller's last bulk change while it can still be undone (for the list's notice)."""
    change = bulk_change_last(actor=user)
    if change is None or change.undone_at is not None:
        return None
    return bulk_change_summary(change=change)


def _back(request: PageRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target.startswith("/crm/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_POST
@crm_page
def accounts_columns(request: PageRequest) -> HttpResponse:
    form = ColumnsForm(request.POST)
    back = _back(request, reverse("crm:accounts"))
    if not form.is_valid():
        messages.error(request, _("Columns: %(error)s") % {"error": form.errors["columns"][0]})
        return HttpResponseRedirect(back)
    services.list_columns_set(
        actor=request.user, list_name="accounts", columns=form.cleaned_data["columns"]
    )
    messages.success(request, _("Your columns are saved."))
    return HttpResponseRedirect(back)


def _subject(activity: Any) -> str:
    """What a timeline entry says, in the reader's language for the recorded changes."""
    details = activity.details or {}
    if activity.kind == ActivityKind.STATUS_CHANGE and {"old", "new"} <= set(details):
        labels = dict(Account.Status.choices)
        return _("Status: %(old)s → %(new)s") % {
            "old": labels.get(details["old"], details["old"]),
            "new": labels.get(details["new"], details["new"]),
        }
    if activity.kind == ActivityKind.OWNER_CHANGE and {"old", "new"} <= set(details):
        old, new = details["old"] or {}, details["new"] or {}
        return _("Owner: %(old)s → %(new)s") % {
            "old": old.get("name") or _("nobody"),
            "new": new.get("name") or _("nobody"),
        }
    return str(activity.subject)


def _shown(timeline: list[Any]) -> None:
    """What each entry shows beyond its fields: its subject in the reader's language and, for
    an e-mail sent or received through the CRM, its direction and status."""
    for activity in timeline:
        activity.shown_subject = _subject(activity)
        details = activity.details or {}
        if activity.kind == ActivityKind.EMAIL and details.get("status") in EmailStatus.values:
            activity.email_direction = EmailDirection(details.get("direction", "out")).label
            activity.email_status = EmailStatus(details["status"]).label
        # A PBX's call and a messenger's message (integrations): their direction.
        if activity.kind == ActivityKind.CALL and details.get("call"):
            activity.call_direction = CallDirection(details.get("direction", "in")).label
        if activity.kind == ActivityKind.MESSAGE and details.get("direction") in ("in", "out"):
            activity.message_direction = CallDirection(details["direction"]).label


def _with_photos(actor: Any, timeline: list[Any]) -> None:
    """A visit's photos from the phone (issue 21), shown on its entry of the timeline."""
    photos = visit_photos(actor=actor, visit_ids=[a.visit_id for a in timeline if a.visit_id])
    for activity in timeline:
        activity.photos = photos.get(activity.visit_id, []) if activity.visit_id else []


def _account_page(
    request: PageRequest,
    account_id: object,
    *,
    log_form: LogForm | None = None,
    task_form: TaskForm | None = None,
    status: int = 200,
) -> HttpResponse:
    overview = selectors.account_overview(actor=request.user, account_id=account_id)
    kinds = [k for k in request.GET.getlist("kind") if k in ActivityKind.values]
    timeline = selectors.account_timeline(actor=request.user, account_id=account_id, kinds=kinds)
    _shown(timeline)
    _with_photos(request.user, timeline)
    for custom in overview["custom_fields"]:
        custom["shown"] = custom_value(custom["definition"], custom["value"])
    if task_form is None:
        task_form = TaskForm(
            actor=request.user, contacts=overview["contacts"], deals=overview["deals"]
        )
    files = attachment_block(actor=request.user, record_type="account", record_id=account_id)
    mail = email_recipients(actor=request.user, record_type="account", record_id=account_id)
    reply = reply_block(actor=request.user, account_id=account_id)
    return render(request, "crm/account.html", {
        **overview, "timeline": timeline, "kinds": ActivityKind.choices, "chosen_kinds": kinds,
        "log_form": log_form or LogForm(), "task_form": task_form, "files": files,
        "mail": mail, "reply": reply,
    }, status=status)  # fmt: skip


@require_GET
@crm_page
def account(request: PageRequest, account_id: object) -> HttpResponse:
    return _account_page(request, account_id)


# A task service's field names -> the task form's.
TASK_FIELDS = {"title": "title", "kind": "kind", "due_at": "due_at", "assignee_id": "assignee",
               "contact_id": "about", "deal_id": "about", "notes": "notes",
               "ends_at": "ends_at", "location": "location",
               "attendee_ids": "attendees"}  # fmt: skip


def _refused(form: Any, exc: DomainError | ValidationError, fields: dict[str, str]) -> None:
    """Put a service's refusal on the form field it names (else on the form)."""
    pairs = (
        [(exc.field, exc.message)] if isinstance(exc, DomainError)
        else validation_error_fields(exc)
    )  # fmt: skip
    for name, message in pairs:
        form.add_error(fields.get(name) if fields.get(name) in form.fields else None, message)


@require_POST
@crm_page
def account_log(request: PageRequest, account_id: object) -> HttpResponse:
    """Log a call, a note, an e-mail or a meeting on the account's timeline."""
    selectors.account_overview(actor=request.user, account_id=account_id)  # 404 first
    form = LogForm(request.POST)
    if form.is_valid():
        try:
            activity_create(actor=request.user, account_id=account_id, data=form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            _refused(form, exc, {"kind": "kind", "subject": "subject", "body": "body",
                                 "occurred_at": "occurred_at"})  # fmt: skip
        else:
            messages.success(request, _("Logged on the timeline."))
            url = reverse("crm:account", args=[account_id])
            return HttpResponseRedirect(url + "#timeline")
    return _account_page(request, account_id, log_form=form, status=400)


@require_POST
@crm_page
def account_task(request: PageRequest, account_id: object) -> HttpResponse:
    """Add a task on the account, or on one of its contacts or deals, for someone."""
    overview = selectors.account_overview(actor=request.user, account_id=account_id)
    if not overview["may_write"]:
        raise NotAllowed(_("Your role may not change this account."))
    form = TaskForm(
        request.POST, actor=request.user, contacts=overview["contacts"], deals=overview["deals"]
    )
    if form.is_valid():
        try:
            task_create(actor=request.user, data=form.task_data(overview["account"].pk))
        except (DomainError, ValidationError) as exc:
            _refused(form, exc, TASK_FIELDS)
        else:
            messages.success(request, _("Task added."))
            return HttpResponseRedirect(reverse("crm:account", args=[account_id]) + "#tasks")
    return _account_page(request, account_id, task_form=form, status=400)


# --- Contacts and deals: the same shape as an account's page, with their own timeline. ---


def _record_page(
    request: PageRequest,
    kind: str,
    record_id: object,
    *,
    log_form: LogForm | None = None,
    task_form: TaskForm | None = None,
    status: int = 200,
) -> HttpResponse:
    kinds = [k for k in request.GET.getlist("kind") if k in ActivityKind.values]
    if kind == "contact":
        data = selectors.contact_overview(actor=request.user, contact_id=record_id, kinds=kinds)
        contacts, deals = [data["contact"]], []
    else:
        data = selectors.deal_overview(actor=request.user, deal_id=record_id, kinds=kinds)
        contacts, deals = data["contacts"], [data["deal"]]
    _shown(data["timeline"])
    if task_form is None:
        about = f"{kind}:{record_id}"
        task_form = TaskForm(
            actor=request.user, contacts=contacts, deals=deals, initial={"about": about}
        )
    files = move_form = None
    if kind == "deal":
        files = attachment_block(actor=request.user, record_type="deal", record_id=record_id)
        deal = data["deal"]
        # The board sends a deal dropped on a lost column here (?lost_stage=) to ask why.
        raw = request.GET.get("lost_stage", "")
        stage = int(raw) if raw.isdigit() and len(raw) < 18 else deal.stage_id
        move_form = DealMoveForm(stages=data["stages"], reasons=data["lost_reasons"], initial={
            "stage": stage, "based_on": deal.updated_at.isoformat(),
            "lost_reason": deal.lost_reason_id})  # fmt: skip
    mail = email_recipients(actor=request.user, record_type=kind, record_id=record_id)
    return render(request, f"crm/{kind}.html", {
        **data, "kinds": ActivityKind.choices, "chosen_kinds": kinds,
        "log_form": log_form or LogForm(), "task_form": task_form, "files": files,
        "move_form": move_form, "mail": mail, "back": request.path,
    }, status=status)  # fmt: skip


def _overview(request: PageRequest, kind: str, record_id: object) -> dict[str, Any]:
    if kind == "contact":
        return selectors.contact_overview(actor=request.user, contact_id=record_id)
    return selectors.deal_overview(actor=request.user, deal_id=record_id)


def _log_on(request: PageRequest, kind: str, record_id: object) -> HttpResponse:
    data = _overview(request, kind, record_id)  # 404 first
    form = LogForm(request.POST)
    if form.is_valid():
        try:
            activity_create(actor=request.user, account_id=data["account"].pk,
                            data={**form.cleaned_data, f"{kind}_id": record_id})  # fmt: skip
        except (DomainError, ValidationError) as exc:
            _refused(form, exc, {"kind": "kind", "subject": "subject", "body": "body",
                                 "occurred_at": "occurred_at"})  # fmt: skip
        else:
            messages.success(request, _("Logged on the timeline."))
            url = reverse(f"crm:{kind}", args=[record_id])
            return HttpResponseRedirect(url + "#timeline")
    return _record_page(request, kind, record_id, log_form=form, status=400)


def _task_on(request: PageRequest, kind: str, record_id: object) -> HttpResponse:
    data = _overview(request, kind, record_id)
    if not data["may_write"]:
        raise NotAllowed(_("Your role may not change this record."))
    contacts = [data["contact"]] if kind == "contact" else data["contacts"]
    deals = [data["deal"]] if kind == "deal" else []
    form = TaskForm(request.POST, actor=request.user, contacts=contacts, deals=deals)
    if form.is_valid():
        try:
            task_create(actor=request.user, data=form.task_data(data["account"].pk))
        except (DomainError, ValidationError) as exc:
            _refused(form, exc, TASK_FIELDS)
        else:
            messages.success(request, _("Task added."))
            return HttpResponseRedirect(reverse(f"crm:{kind}", args=[record_id]) + "#tasks")
    return _record_page(request, kind, record_id, task_form=form, status=400)


@require_GET
@crm_page
def contact(request: PageRequest, contact_id: object) -> HttpResponse:
    return _record_page(request, "contact", contact_id)


@require_POST
@crm_page
def contact_log(request: PageRequest, contact_id: object) -> HttpResponse:
    return _log_on(request, "contact", contact_id)


@require_POST
@crm_page
def contact_task(request: PageRequest, contact_id: object) -> HttpResponse:
    return _task_on(request, "contact", contact_id)


@require_GET
@crm_page
def deal(request: PageRequest, deal_id: int) -> HttpResponse:
    return _record_page(request, "deal", deal_id)


@require_POST
@crm_page
def deal_log(request: PageRequest, deal_id: int) -> HttpResponse:
    return _log_on(request, "deal", deal_id)


@require_POST
@crm_page
def deal_task(request: PageRequest, deal_id: int) -> HttpResponse:
    return _task_on(request, "deal", deal_id)


# --- Tasks: mine and my team's, overdue / today / upcoming; complete, snooze, reassign. ---


@require_GET
@crm_page
def tasks(request: PageRequest) -> HttpResponse:
    team = request.GET.get("who") == "team"
    board = selectors.task_board(actor=request.user, team=team)
    people = selectors.assignable_users(actor=request.user)
    return render(request, "crm/tasks.html", {
        "board": board, "team": team, "people": people, "may_reassign": len(people) > 1,
        "back": request.get_full_path(), "snooze_form": SnoozeForm(),
        "empty": not any(board.values()),
    })  # fmt: skip


def _task_done(request: PageRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return HttpResponseRedirect(_back(request, reverse("crm:tasks")))


def _task_refused(request: PageRequest, field: str, message: str) -> HttpResponse:
    messages.error(request, f"{field}: {message}")
    return HttpResponseRedirect(_back(request, reverse("crm:tasks")))


@require_POST
@crm_page
def task_complete_view(request: PageRequest, task_id: object) -> HttpResponse:
    task_complete(actor=request.user, task_id=task_id)
    return _task_done(request, _("Task done."))


@require_POST
@crm_page
def task_snooze_view(request: PageRequest, task_id: object) -> HttpResponse:
    selectors.task_get(actor=request.user, task_id=task_id)  # 404 first
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        return _task_refused(request, str(form["until"].label), str(form.errors["until"][0]))
    try:
        task_snooze(actor=request.user, task_id=task_id, until=form.cleaned_data["until"])
    except DomainError as exc:
        return _task_refused(request, str(form["until"].label), exc.message)
    return _task_done(request, _("Task snoozed."))


@require_POST
@crm_page
def task_reassign_view(request: PageRequest, task_id: object) -> HttpResponse:
    selectors.task_get(actor=request.user, task_id=task_id)  # 404 first
    form = ReassignForm(request.POST, actor=request.user)
    label = str(form["assignee"].label)
    if not form.is_valid():
        return _task_refused(request, label, str(form.errors["assignee"][0]))
    try:
        task_update(
            actor=request.user, task_id=task_id,
            data={"assignee_id": form.cleaned_data["assignee"]},
        )  # fmt: skip
    except DomainError as exc:
        return _task_refused(request, label, exc.message)
    return _task_done(request, _("Task reassigned."))
