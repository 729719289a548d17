"""What a notification says, rendered from its kind and params in a given language, and the
page of the record it is about. One place, so the bell, the list and the e-mail agree."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.utils import formats, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fieldcrm.notifications.models import Notification, NotificationKind


def _when(value: Any, tz: dt.tzinfo) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return ""
    return formats.date_format(moment.astimezone(tz), "SHORT_DATETIME_FORMAT")


def _texts(kind: str, params: dict[str, Any], tz: dt.tzinfo) -> tuple[str, str]:
    title = str(params.get("title", ""))
    due = _when(params.get("due_at"), tz)
    days = int(params.get("days") or 0)
    if kind == NotificationKind.TASK_DUE:
        return _("Task due: %(title)s") % {"title": title}, _("Due %(due)s.") % {"due": due}
    if kind == NotificationKind.TASK_OVERDUE:
        return _("Overdue: %(title)s") % {"title": title}, _("It was due %(due)s.") % {"due": due}
    if kind == NotificationKind.TASK_OVERDUE_MANAGER:
        body = ngettext(
            "%(rep)s's task has been overdue for %(days)d day.",
            "%(rep)s's task has been overdue for %(days)d days.",
            days,
        ) % {"rep": params.get("rep", ""), "days": days}
        return _("Long overdue: %(title)s") % {"title": title}, body
    if kind == NotificationKind.ACCOUNT_VISIT_DUE:
        name = str(params.get("name", ""))
        body = ngettext(
            "Visit it every %(days)d day; it is past due.",
            "Visit it every %(days)d days; it is past due.",
            days,
        ) % {"days": days}
        return _("%(name)s is due for a visit") % {"name": name}, body
    if kind == NotificationKind.VISIT_BOOKED:
        name, time = str(params.get("name", "")), str(params.get("time") or "")
        title = _("Booked visit tomorrow: %(name)s") % {"name": name}
        return title, (_("At %(time)s.") % {"time": time}) if time else ""
    if kind == NotificationKind.DAILY_DIGEST:
        return _digest(params)
    if kind == NotificationKind.AUTOMATION:
        # The rule's own words (an admin wrote them), with the rule named.
        return title, _("From the automation rule “%(rule)s”.") % {"rule": params.get("rule", "")}
    if kind == NotificationKind.WEBHOOK_DISABLED:
        body = ngettext(
            "It failed %(n)d time in a row (%(reason)s). Fix the receiver, then enable it again.",
            "It failed %(n)d times in a row (%(reason)s). Fix the receiver, then enable it again.",
            int(params.get("failures") or 0),
        ) % {"n": int(params.get("failures") or 0), "reason": params.get("reason", "")}
        return _("Webhook disabled: %(url)s") % {"url": params.get("url", "")}, body
    if kind == NotificationKind.INCOMING_CALL:
        title = _("Incoming call from %(number)s (%(name)s)") % {
            "number": params.get("number", ""), "name": params.get("name", "")}  # fmt: skip
        contact = str(params.get("contact") or "")
        return title, (_("Contact: %(name)s") % {"name": contact}) if contact else ""
    if kind == NotificationKind.MESSAGE_RECEIVED:
        values = {"sender": params.get("sender", ""), "channel": params.get("channel", ""),
                  "name": params.get("name", "")}  # fmt: skip
        title = (
            _("New lead from %(channel)s: %(sender)s") % values if params.get("lead")
            else _("Message from %(sender)s (%(name)s) on %(channel)s") % values
        )  # fmt: skip
        return title, str(params.get("text", ""))
    return str(kind), ""


def _digest(params: dict[str, Any]) -> tuple[str, str]:
    day = params.get("date", "")
    if params.get("role") == "manager":
        lines = [
            _("%(rep)s: %(done)d of %(planned)d visits done")
            % {"rep": r.get("rep", ""), "done": r.get("done", 0), "planned": r.get("planned", 0)}
            for r in params.get("reps", [])
        ]
        lines.append(_("Overdue tasks: %(n)d") % {"n": params.get("overdue", 0)})
        lines.append(_("New leads: %(n)d") % {"n": params.get("new_leads", 0)})
        return _("Yesterday in your region, %(date)s") % {"date": day}, "\n".join(lines)
    lines = [
        _("Stops: %(n)d") % {"n": params.get("stops", 0)},
        _("Tasks due: %(n)d") % {"n": params.get("tasks_due", 0)},
        _("Overdue tasks: %(n)d") % {"n": params.get("overdue", 0)},
        _("Accounts due for a visit: %(n)d") % {"n": params.get("accounts_due", 0)},
    ]
    return _("Your day, %(date)s") % {"date": day}, "\n".join(lines)


def render(
    notification: Notification, *, language: str | None = None, tz: dt.tzinfo | None = None
) -> tuple[str, str]:
    """(title, body) in ``language`` (default: the active one), times in ``tz``."""
    zone = tz or zoneinfo.ZoneInfo("UTC")
    if language is None:
        return _texts(notification.kind, notification.params, zone)
    with translation.override(language):
        return _texts(notification.kind, notification.params, zone)


def workspace_path(record_type: str, record_id: object) -> str:
    """Where a notification opened from a workspace page goes: the record's workspace page
    (the phone app's screens otherwise, see ``record_path``)."""
    if record_type == "account" and record_id:
        return f"/crm/accounts/{record_id}/"
    if record_type == "task":
        return "/crm/tasks/"
    return record_path(record_type, record_id)


def record_path(record_type: str, record_id: object) -> str:
    """Where the record is shown on the phone (the app's own links, push and e-mail): the
    phone app's screens, which work on a laptop too."""
    if record_type == "account" and record_id:
        return f"/app/#/account/{record_id}"
    if record_type == "task":
        return "/app/#/tasks"
    if record_type == "today":
        return "/app/#/today"
    if record_type == "dashboard":
        return "/manager/"
    return "/notifications/"
