"""The workspace's own state: what each person chose to see (the accounts list's columns)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ListColumns(models.Model):
    """The columns one user picked for one list of the workspace, in their order."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="list_columns"
    )
    list_name = models.CharField(_("list"), max_length=32)
    columns = models.JSONField(_("columns"), default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "list_name"], name="list_columns_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.list_name}"


# The accounts table's columns a user may pick (the name is always shown), besides one per
# custom field (``cf:<key>``). Labels are the views' business; these are the keys.
ACCOUNT_COLUMNS = (
    "status", "tier", "owner", "territory", "region", "last_visit", "due", "tags",
    "phone", "email", "address", "priority",
)  # fmt: skip
DEFAULT_ACCOUNT_COLUMNS = ("status", "tier", "owner", "territory", "last_visit", "due")


class Segment(models.Model):
    """A saved view of the accounts list: its filters under a name, private to its author or
    shared with their team (access.py says who that is). Applying one runs the filters in the
    viewer's own scope: a shared segment never shows anyone more than their own accounts."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
        related_name="segments",
    )  # fmt: skip
    list_name = models.CharField(_("list"), max_length=32, default="accounts")
    name = models.CharField(_("name"), max_length=100)
    # The list's filter parameters as the page sends them: {"status": ["customer"], ...}
    # (only SEGMENT_PARAMS; sort, order and the page cursor are the viewer's own).
    query = models.JSONField(_("filters"), default=dict)
    is_shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "list_name", "name"], name="segment_name_once")
        ]

    def __str__(self) -> str:
        return self.name


# The accounts list's filter parameters a segment keeps (the filter form's field names).
SEGMENT_PARAMS = (
    "q", "status", "tier", "tags", "tags_mode", "owner", "territory", "region", "due",
    "visited_from", "visited_before", "deal_stage", "area",
)  # fmt: skip
# A custom field's filters are named after its key: "cf_<key>", "cf_<key>__min" (forms.py).
CUSTOM_PARAM_PREFIX = "cf_"


def is_segment_param(key: str) -> bool:
    """A parameter a segment keeps: a fixed filter, or a custom field's (its field may come
    and go; the form checks it each time the segment is applied)."""
    return key in SEGMENT_PARAMS or (key.startswith(CUSTOM_PARAM_PREFIX) and len(key) <= 80)
