"""``{{ seconds|call_duration }}``: a call's talk time as 1:05 or 1:02:05."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def call_duration(seconds: object) -> str:
    try:
        total = max(int(seconds), 0)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
