"""The server-rendered notification pages: the list, opening one (marks it read, goes to its
record), marking all read, and the e-mail's unsubscribe link."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fieldcrm.access import NotInScope
from fieldcrm.core.errors import DomainError
from fieldcrm.notifications import calendar, selectors, services, texts
from fieldcrm.notifications.email import unsubscribe_read
from fieldcrm.notifications.forms import NotificationSettingsForm
from fieldcrm.notifications.models import NotificationChannel, NotificationKind
from fieldcrm.users.models import User


@login_required
def notification_list_page(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.notification_list(actor=request.user)[:200])  # type: ignore[arg-type]
    items = []
    for row in rows:
        title, body = texts.render(row)
        items.append({"id": row.pk, "title": title, "body": body, "is_read": row.is_read,
                      "created_at": row.created_at})  # fmt: skip
    unread = any(not item["is_read"] for item in items)
    return render(request, "notifications/list.html", {"items": items, "unread": unread})


@login_required
def notification_open(request: HttpRequest, notification_id: uuid.UUID) -> HttpResponse:
    """Opening a notification reads it (idempotent, so a GET link is safe to follow twice)."""
    try:
        row = services.notification_mark_read(
            actor=request.user,  # type: ignore[arg-type]
            notification_id=notification_id,
        )
    except NotInScope:
        raise Http404 from None
    # The list's and the e-mails' link: a rep works on the phone, the office in the workspace.
    if request.user.role == User.Role.REP:  # type: ignore[union-attr]
        return redirect(texts.record_path(row.record_type, row.record_id))
    return redirect(texts.workspace_path(row.record_type, row.record_id))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(actor=request.user)  # type: ignore[arg-type]
    return redirect("notifications:list")


# The token in the link is the credential (no login: mail clients' one-click unsubscribe
# posts without cookies, RFC 8058), so CSRF protection has nothing to protect here.
@csrf_exempt
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a link scanner must not unsubscribe anyone); POST stops e-mails of the kind."""
    try:
        user_id, kind = unsubscribe_read(token)
        user = User.objects.get(pk=user_id, is_active=True)
    except (signing.BadSignature, User.DoesNotExist, KeyError, ValueError):
        raise Http404 from None
    label = dict(NotificationKind.choices).get(kind, kind)
    done = request.method == "POST"
    if done:
        services.preference_set(user=user, kind=kind, channel=NotificationChannel.IN_APP)
    return render(request, "notifications/unsubscribe.html", {"label": label, "done": done})


def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """The secret address is the credential (calendar apps send no cookies)."""
    user = calendar.calendar_feed_user(secret=secret)
    if user is None:
        raise Http404
    response = HttpResponse(calendar.calendar_ics(user=user), content_type="text/calendar")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _settings_page(request: HttpRequest, form: Any, **extra: Any) -> HttpResponse:
    user = request.user
    feed = calendar.calendar_feed_active(user=user)  # type: ignore[arg-type]
    context = {"form": form, "calendar_active": feed is not None, **extra}
    return render(request, "notifications/settings.html", context)


@login_required
def notification_settings_page(request: HttpRequest) -> HttpResponse:
    """The user's channel per kind, quiet hours, language and lead time, and their calendar."""
    user = request.user
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.notification_settings_update(
                    actor=user,  # type: ignore[arg-type]
                    data=form.data_for_service(),
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return _settings_page(request, form, saved=True)
        return _settings_page(request, form)
    view = selectors.notification_settings_view(user=user)  # type: ignore[arg-type]
    initial = {**view, **{f"channel_{k}": v for k, v in view["channels"].items()}}
    return _settings_page(request, NotificationSettingsForm(initial=initial))


@login_required
@require_POST
def notification_calendar(request: HttpRequest) -> HttpResponse:
    user = request.user
    view = selectors.notification_settings_view(user=user)  # type: ignore[arg-type]
    form = NotificationSettingsForm(
        initial={**view, **{f"channel_{k}": v for k, v in view["channels"].items()}}
    )
    if request.POST.get("action") == "revoke":
        calendar.calendar_feed_revoke(user=user)  # type: ignore[arg-type]
        return _settings_page(request, form)
    secret = calendar.calendar_feed_create(user=user)  # type: ignore[arg-type]
    return _settings_page(request, form, calendar_url=calendar.feed_url(secret))
