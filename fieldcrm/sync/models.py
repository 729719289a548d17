"""Bookkeeping of the phone sync protocol (DESIGN.md, "Offline sync")."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AppliedOp(models.Model):
    """One pushed mutation, by its client-generated id: a retried push answers from here.

    Written in the same transaction as the change it records, so either both exist or neither.
    """

    op_id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, blank=True)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.op_id} {self.entity} {self.status}"


class ScopeLoss(models.Model):
    """Someone may have lost sight of accounts: pull tells their phones to drop them.

    Either one account moved (its old territory and owner are kept), or a rep left a territory
    (``user_id`` and ``territory_id``). Plain ids, not foreign keys: the history must outlive
    the rows it mentions.
    """

    change_seq = models.BigIntegerField(db_index=True)
    account_id = models.UUIDField(null=True, blank=True)
    territory_id = models.BigIntegerField(null=True, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"scope loss {self.change_seq}"
