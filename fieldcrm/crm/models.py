"""The workspace's own state: what each person chose to see (the accounts list's columns)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
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
