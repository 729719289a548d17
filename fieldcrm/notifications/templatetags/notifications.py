"""``{% notification_bell %}``: the bell with the signed-in user's unread count."""

from __future__ import annotations

from typing import Any

from django import template

from fieldcrm.notifications.selectors import notification_unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell_link.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {"show": True, "unread": notification_unread_count(actor=user)}
