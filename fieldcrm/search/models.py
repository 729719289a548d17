"""The search index: one row per searchable record (account, contact, deal), its text folded
(fieldcrm.search.text) and the account it belongs to, through which the access rule scopes it.

A plain table on both databases; what makes it fast differs and lives in the migration: on
PostGIS a pg_trgm GIN index on ``text``, on SpatiaLite an FTS5 trigram table over ``text``
kept in step by triggers on this table (so no writer can forget it).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fieldcrm.accounts.models import Account


class SearchEntry(models.Model):
    class Kind(models.TextChoices):
        ACCOUNT = "account", _("Account")
        CONTACT = "contact", _("Contact")
        DEAL = "deal", _("Deal")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    record_id = models.CharField(_("record"), max_length=40)  # a uuid or a deal's number
    # The record's account: the scope of all three kinds (access: contacts and deals are seen
    # where their account is). CASCADE follows a hard delete; soft deletes remove the row.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    text = models.TextField(_("text"))  # folded: what a query is matched against

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "record_id"], name="search_entry_once")
        ]
        indexes = [models.Index(fields=["account"], name="search_entry_account")]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id}: {self.title}"
