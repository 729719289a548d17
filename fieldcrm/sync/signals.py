"""Scope changes the sync must tell phones about, wherever the change came from."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_save

from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.core.models import next_change_seq, touch
from fieldcrm.sync.models import ScopeLoss
from fieldcrm.territories.models import Territory


def account_saved(sender: type, instance: Account, created: bool, **_: Any) -> None:
    """An account that changed territory or owner leaves some phones and reaches others."""
    old = getattr(instance, "_loaded_scope", None)
    new = (instance.territory_id, instance.owner_id)
    instance._loaded_scope = new
    if created or old is None or old == new:
        return
    ScopeLoss.objects.create(
        change_seq=instance.change_seq, account_id=instance.pk,
        territory_id=old[0], owner_id=old[1],
    )  # fmt: skip
    # The new holders need the account's history too, not just the account row.
    touch(Contact.all_objects.filter(account=instance))
    touch(Activity.all_objects.filter(account=instance))


def territory_reps_changed(
    sender: type, instance: Territory, action: str, pk_set: set[int] | None, **_: Any
) -> None:
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    with transaction.atomic():
        if action == "post_remove":
            seq = next_change_seq()
            ScopeLoss.objects.bulk_create(
                ScopeLoss(change_seq=seq, territory_id=instance.pk, user_id=user_id)
                for user_id in pk_set
            )
        else:
            accounts = Account.all_objects.filter(territory=instance)
            touch(accounts)
            touch(Contact.all_objects.filter(account__in=accounts))
            touch(Activity.all_objects.filter(account__in=accounts))


def connect() -> None:
    post_save.connect(account_saved, sender=Account, dispatch_uid="sync_account_saved")
    m2m_changed.connect(
        territory_reps_changed, sender=Territory.reps.through, dispatch_uid="sync_territory_reps"
    )
