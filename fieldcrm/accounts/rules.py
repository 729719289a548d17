"""Row-local rules for accounts: the status lifecycle, opening hours, custom fields.

Pure functions raising ValidationError, so the model's clean(), the API and the importer
refuse the same input with the same message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")

# Which status may follow which. A customer never goes back to lead: history would lie.
TRANSITIONS: dict[str, frozenset[str]] = {
    "lead": frozenset({"prospect", "customer", "disqualified"}),
    "prospect": frozenset({"customer", "disqualified"}),
    "customer": frozenset({"churned"}),
    "disqualified": frozenset({"lead", "prospect"}),
    "churned": frozenset({"customer", "prospect"}),
}


def check_transition(old: str | None, new: str) -> None:
    """Refuse a status change the lifecycle forbids."""
    if old is None or old == new:
        return
    if new not in TRANSITIONS.get(old, frozenset()):
        raise ValidationError(
            {
                "status": _("An account cannot go from %(old)s to %(new)s.")
                % {"old": old, "new": new}
            }
        )


def parse_hhmm(value: str) -> int:
    """'09:30' -> seconds from midnight ('24:00' is the end of the day)."""
    if not isinstance(value, str) or not _HHMM.match(value):
        raise ValueError(value)
    hours, minutes = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def validate_opening_hours(value: Any) -> None:
    """``{"mon": [["09:00", "12:30"], ["14:00", "18:00"]], ...}``: sorted, non-overlapping."""
    if value in (None, {}):
        return
    if not isinstance(value, Mapping):
        raise ValidationError(_("Opening hours must be an object keyed by weekday."))
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(
                _("Unknown weekday %(day)s; use one of %(days)s.")
                % {"day": day, "days": ", ".join(WEEKDAYS)}
            )
        if not isinstance(spans, list):
            raise ValidationError(_("%(day)s: expected a list of [open, close].") % {"day": day})
        previous_end = -1
        for span in spans:
            try:
                start, end = (parse_hhmm(t) for t in span)
            except (TypeError, ValueError):
                raise ValidationError(
                    _("%(day)s: %(span)s is not a pair of HH:MM times.")
                    % {"day": day, "span": span}
                ) from None
            if end <= start or start < previous_end:
                raise ValidationError(
                    _("%(day)s: spans must be increasing and not overlap.") % {"day": day}
                )
            previous_end = end


def windows_for(opening_hours: Mapping[str, list] | None, day: dt.date) -> list[tuple[int, int]]:
    """The (open, close) seconds-from-midnight windows of one date; [] means closed or unknown."""
    if not opening_hours:
        return []
    spans = opening_hours.get(WEEKDAYS[day.weekday()], [])
    return [(parse_hhmm(a), parse_hhmm(b)) for a, b in spans]


def validate_custom_fields(
    values: Any, definitions: Iterable[Any], *, required: set[str] | None = None
) -> None:
    """Check a custom-field dict against the admin's definitions (unknown keys refused).

    ``required``: the keys whose required-ness is checked (None: all, as for a new account).
    An edit checks only the keys it changes, so adding a required field later does not lock
    every existing account until someone fills it in."""
    if values in (None, {}):
        values = {}
    if not isinstance(values, Mapping):
        raise ValidationError({"custom_fields": _("Custom fields must be an object.")})
    by_key = {d.key: d for d in definitions}
    # One message per offending key, all under "custom_fields" so forms can show them.
    errors: list[str] = []
    for key, raw in values.items():
        definition = by_key.get(key)
        if definition is None:
            errors.append(_("Unknown custom field %(key)s.") % {"key": key})
            continue
        problem = definition.problem_with(raw)
        if problem:
            errors.append(f"{key}: {problem}")
    for key, definition in by_key.items():
        wanted = required is None or key in required
        active = getattr(definition, "is_active", True)
        if definition.is_required and active and wanted and values.get(key) in (None, ""):
            errors.append(_("%(key)s: this custom field is required.") % {"key": key})
    if errors:
        raise ValidationError({"custom_fields": errors})
